"""Schemas of the risk, segment and indicator routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from matching.history import Segment
from matching.risk import Assessment


class ContributionPublic(BaseModel):
    feature: str = Field(examples=["fase"])
    value: str = Field(examples=["3-6 maanden"])
    contribution: float = Field(description="share of the logit; base + contributions = logit")
    reason: str = Field(examples=["Werkloos: 3-6 maanden: verhoogt het risico"])


class OverridePublic(BaseModel):
    segment: Segment
    reason: str
    user_id: str | None
    at: dt.datetime


class RiskPublic(BaseModel):
    jobseeker_id: str
    risk: float = Field(description="P(still unemployed in 12 months), calibrated")
    logit: float = Field(description="log-odds of the risk: exactly base + sum(contribution)")
    base: float = Field(description="logit of the average training jobseeker")
    contributions: list[ContributionPublic]
    segment: Segment = Field(description="the werkcoach's override if any, else the model's")
    segment_source: str = Field(examples=["model", "werkcoach"])
    model_segment: Segment
    override: OverridePublic | None
    phase: str = Field(examples=["3-6 maanden"])
    model_version: str

    @classmethod
    def of(cls, a: Assessment) -> RiskPublic:
        override = None
        if a.override is not None:
            o = a.override
            override = OverridePublic(
                segment=o.segment, reason=o.reason, user_id=o.user_id, at=o.at
            )
        return cls(
            jobseeker_id=a.jobseeker_id,
            risk=a.risk,
            logit=a.base + sum(c.contribution for c in a.contributions),
            base=a.base,
            contributions=[ContributionPublic(**vars(c)) for c in a.contributions],
            segment=a.segment,
            segment_source="werkcoach" if a.override else "model",
            model_segment=a.model_segment,
            override=override,
            phase=a.phase_label,
            model_version=a.model_version,
        )


class SegmentOverride(BaseModel):
    segment: Segment
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class IndicatorsPublic(BaseModel):
    region: str | None
    period: str | None
    min_cell: int = Field(description="cells counting fewer are suppressed (no figure shown)")
    arbeidsuitstroom: list[dict] = Field(description="exits to work per month, region, segment")
    time_to_fill: list[dict] = Field(description="median days from posting to the first exit")
    candidates: list[dict] = Field(description="share of open vacancies with >= 5 suitable")
    target_groups: list[dict] = Field(description="people and exits of 45+, > 12 maanden, ...")
