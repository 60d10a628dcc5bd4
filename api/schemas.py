"""Response schemas of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
    base: float = Field(description="score of a typical candidate (the ranker's reference)")
    similarity: float
    distance_km: float
    region: str
    title: str
    occupation: dict[str, str | None]
    criteria: list[CriterionPublic]

    @classmethod
    def of(cls, m: Match) -> MatchPublic:
        return cls(
            id=m.id,
            rank=m.rank,
            score=m.score,
            base=m.base,
            similarity=m.similarity,
            distance_km=m.distance_km,
            region=m.region,
            title=m.title,
            occupation=m.occupation,
            criteria=[CriterionPublic(**vars(c)) for c in m.criteria],
        )


class ShortlistPublic(BaseModel):
    query_id: str
    direction: str
    ranker: str
    model_id: str
    retrieved: int
    passed_filters: int
    filtered_out: dict[str, int]
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
            count=len(s.items),
            data=[MatchPublic.of(m) for m in s.items],
        )


class ErrorDetail(BaseModel):
    field: str
    reason: str


class ErrorResponse(BaseModel):
    detail: list[ErrorDetail]
