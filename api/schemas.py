"""Response schemas of the HTTP API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.auth import Role
from matching.outcomes import OutcomeKind
from matching.shortlist import Match, Shortlist


class CriterionPublic(BaseModel):
    name: str = Field(examples=["afstand"])
    value: str = Field(examples=["12 km"])
    passed: bool | None = Field(description="hard filter outcome; null for soft criteria")
    contribution: float = Field(description="share of the score; contributions sum to it")
    reason: str = Field(examples=["Woont op 12 km, binnen de gewenste reisafstand van 25 km"])


class MatchPublic(BaseModel):
    id: str
    rank: int
    score: float = Field(description="base + sum of the criteria's contributions")
    base: float = Field(
        description="score of the typical candidate (see `reference`); base + contributions = score"
    )
    similarity: float
    distance_km: float
    region: str
    title: str
    occupation: dict[str, str | None]
    criteria: list[CriterionPublic]

    @classmethod
    def of(cls, m: Match) -> MatchPublic:
        return cls.model_validate(m, from_attributes=True)


class ShortlistPublic(BaseModel):
    query_id: str
    direction: str
    ranker: str
    model_id: str
    retrieved: int
    passed_filters: int
    filtered_out: dict[str, int]
    reference: str = Field(description="what the contributions are measured from")
    fair: bool = Field(
        default=False, description="re-ranked so 45+ and > 12 months unemployed keep their share"
    )
    count: int
    data: list[MatchPublic]

    @classmethod
    def of(cls, s: Shortlist) -> ShortlistPublic:
        return cls(
            query_id=s.query_id,
            direction=s.direction,
            ranker=s.ranker,
            model_id=s.model_id,
            retrieved=s.retrieved,
            passed_filters=s.passed_filters,
            filtered_out=s.filtered_out,
            reference=s.reference,
            fair=s.fair,
            count=len(s.items),
            data=[MatchPublic.of(m) for m in s.items],
        )


class ErrorDetail(BaseModel):
    field: str
    reason: str


class ErrorResponse(BaseModel):
    detail: list[ErrorDetail]


class FitCheckPublic(BaseModel):
    vacancy_id: str
    jobseeker_id: str
    score: float = Field(description="base + sum of the criteria's contributions")
    base: float
    passes_filters: bool
    rank: int | None = Field(description="rank in the vacancy's shortlist; null if filtered out")
    ranked_among: int = Field(description="eligible candidates ranked, this one included")
    ranker: str
    criteria: list[CriterionPublic]
    missing: dict[str, object] = Field(
        description="skills, licences, distance_km_over, hours_short, education, available_from"
    )
    reference: str = Field(description="what the contributions are measured from")

    @classmethod
    def of(cls, f) -> FitCheckPublic:
        return cls.model_validate(f, from_attributes=True)


class RowErrorPublic(BaseModel):
    row: int
    field: str
    reason: str


class IngestReportPublic(BaseModel):
    kind: str
    rows: int
    stored: int
    bad_rows: int
    errors: list[RowErrorPublic]


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vacancy_id: str = Field(min_length=1, max_length=64)
    jobseeker_id: str = Field(min_length=1, max_length=64)
    outcome: OutcomeKind
    reason: str | None = Field(default=None, max_length=500, examples=["reisafstand te groot"])


class OutcomePublic(OutcomeCreate):
    stored: bool = True


class LabourMarketRow(BaseModel):
    group: str
    group_label: str | None
    region: str
    region_name: str | None
    vacancies: int
    short_unemployed: int = Field(description="jobseekers unemployed for less than 6 months")
    jobseekers: int
    tension: float
    tension_class: str


class LabourMarketPublic(BaseModel):
    count: int
    data: list[LabourMarketRow]


class ModelPublic(BaseModel):
    ranker: str
    version: str | None
    metrics: dict[str, float]
    embedding_model: str


class EmbedderRefPublic(BaseModel):
    version: str = Field(description="registered version, or `base` for the converted e5")
    model_id: str


class SwitchPublic(BaseModel):
    state: str = Field(description="idle, running, done or failed")
    stage: str
    version: str | None
    model_id: str | None
    done: int
    total: int
    embedded: int
    started_at: float | None
    finished_at: float | None
    error: str | None


class EmbedderPublic(BaseModel):
    serving: EmbedderRefPublic
    target: EmbedderRefPublic = Field(description="the registry's champion, else the base model")
    precision: str
    switch: SwitchPublic


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    key_id: str
    role: str
    endpoint: str
    purpose: str | None
    jobseeker_ids: list[str]
    allowed: bool | None = Field(description="false: the request was refused (need-to-know)")


class AuditPublic(BaseModel):
    count: int
    data: list[AuditEntry]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    user_id: str = Field(min_length=1, max_length=64, description="the user the key belongs to")
    label: str | None = Field(default=None, max_length=200)
    days: float = Field(default=90.0, gt=0, le=366, description="valid for this many days")


class UserCreate(BaseModel):
    """A named user: role, team (a Werkplein) and the arbeidsmarktregio's they serve."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    role: Role
    team: str | None = Field(default=None, min_length=1, max_length=120)
    regions: list[Annotated[str, StringConstraints(pattern=r"^AM\d\d$")]] = Field(
        default_factory=list, max_length=35
    )


class KeyCreated(BaseModel):
    key_id: str
    role: Role
    key: str = Field(description="shown once; store it safely")


class OccupationPublic(BaseModel):
    esco_uri: str | None
    label: str | None
    isco: str | None
    isco_label: str | None


class VacancySummary(BaseModel):
    id: str
    title: str
    employer: str
    region: str
    region_name: str | None
    status: str
    posted_date: dt.date | None
    hours_min: float
    hours_max: float
    occupation: OccupationPublic


class JobseekerSummary(BaseModel):
    """A person in a caseload without name or contact data."""

    id: str
    desired_occupation: str
    occupation: OccupationPublic
    region: str
    region_name: str | None
    months_unemployed: int
    phase: str = Field(description="phase of unemployment, e.g. 6-12 maanden")
    hours_per_week: float
    available_from: dt.date | None


class _Paged(BaseModel):
    count: int = Field(description="records matching the filters, on every page together")
    page: int
    per_page: int
    pages: int


class VacancyListPublic(_Paged):
    data: list[VacancySummary]


class JobseekerListPublic(_Paged):
    data: list[JobseekerSummary]
