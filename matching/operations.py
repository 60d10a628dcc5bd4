"""What users ask of the pipeline: a ranked shortlist (either direction) and a fit check."""

from __future__ import annotations

import numpy as np

from matching.fairness import fair_order
from matching.filters import HOURS_TOLERANCE, Overrides
from matching.query import QueryContext, candidates, candidates_among
from matching.ranking import ScoredPairs, matches, ranker_name, typical
from matching.records import EDUCATION_RANK, Jobseeker, Kind, Vacancy, kind_of
from matching.shortlist import FitCheck, Shortlist
from models.registry import ServedRanker

DIRECTION = {Kind.VACANCIES: "jobseekers", Kind.JOBSEEKERS: "vacancies"}


def shortlist(
    ctx: QueryContext,
    record: Jobseeker | Vacancy,
    ranker: ServedRanker | None,
    k: int = 20,
    overrides: Overrides | None = None,
    fair: bool = False,
) -> Shortlist:
    """The best counterparts of `record` that pass the hard filters: jobseekers for a
    vacancy, open vacancies for a jobseeker; every item explained per criterion. `fair`
    re-ranks a vacancy's top k so that 45+ and > 12 months unemployed keep at least their
    share among the eligible in every prefix (`matching.fairness`)."""
    found = candidates(ctx, record, ranker, overrides)
    direction = DIRECTION[kind_of(record)]
    eligibility = found.eligibility
    reference = typical(found.pairs, found.passed)
    rows = found.top(k)
    fair = fair and direction == "jobseekers"
    if fair:
        passing = np.flatnonzero(found.passed)
        people = [found.records[i] for i in passing]
        rows = passing[fair_order(found.pairs.scores[passing], people, k)[:k]]
    return Shortlist(
        query_id=record.id,
        direction=direction,
        items=matches(found.pairs, rows, ranker, direction, reference),
        retrieved=len(found.rowids),
        passed_filters=len(eligibility.rowids),
        filtered_out=eligibility.removed,
        model_id=ctx.serving.model_id,
        ranker=ranker_name(ranker),
        reference=reference_text(int(found.passed.sum()), direction),
        fair=fair,
    )


def reference_text(passing: int, direction: str) -> str:
    """What the contributions of an explanation are measured from, in Dutch."""
    one, many = (
        ("kandidaat", "kandidaten") if direction == "jobseekers" else ("vacature", "vacatures")
    )
    return (
        f"Bijdragen ten opzichte van een doorsnee {one}: per kenmerk de mediaan van de "
        f"{passing} {many} die door de harde filters komen (bijdrage 0 = zoals doorsnee)."
    )


def fit_check(
    ctx: QueryContext, vacancy: Vacancy, js: Jobseeker, ranker: ServedRanker | None
) -> FitCheck:
    """Score one pair, find the rank it would have in the vacancy's shortlist, and list
    what is missing."""
    rowid = ctx.store.rowid(Kind.JOBSEEKERS, js.id)
    pair = candidates_among(ctx, vacancy, [rowid], ranker)
    others = candidates(ctx, vacancy, ranker)
    reference = typical(others.pairs, others.passed)
    (match,) = matches(pair.pairs, np.array([0]), ranker, "jobseekers", reference)
    passes = bool(pair.passed[0])
    rank, among = None, 0
    if passes:
        keep = others.passed & (others.rowids != rowid)
        among = int(keep.sum()) + 1
        rank = 1 + int((others.pairs.scores[keep] > pair.pairs.scores[0]).sum())
    return FitCheck(
        vacancy_id=vacancy.id,
        jobseeker_id=js.id,
        score=match.score,
        base=match.base,
        passes_filters=passes,
        rank=rank,
        ranked_among=among,
        ranker=ranker_name(ranker),
        criteria=match.criteria,
        missing=missing(vacancy, js, pair.pairs),
        reference=reference_text(int(others.passed.sum()), "jobseekers"),
    )


def missing(v: Vacancy, j: Jobseeker, pair: ScoredPairs) -> dict[str, object]:
    """What stands between this jobseeker and this vacancy, criterion by criterion."""
    c = pair.checks
    out: dict[str, object] = {}
    if pair.features.missing_skills[0]:
        out["skills"] = pair.features.missing_skills[0]
    if c.missing_licences[0]:
        out["licences"] = c.missing_licences[0]
    if not c.distance_ok[0]:
        out["distance_km_over"] = round(float(c.distance_km[0]) - j.max_travel_km, 1)
    if not c.hours_ok[0]:
        out["hours_short"] = round(v.hours_min - HOURS_TOLERANCE - j.hours_per_week, 1)
    if v.min_education and EDUCATION_RANK[j.education] < EDUCATION_RANK[v.min_education]:
        out["education"] = {"required": v.min_education.value, "has": j.education.value}
    if not c.available_ok[0]:
        out["available_from"] = j.available_from.isoformat() if j.available_from else None
    return out
