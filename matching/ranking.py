"""Scoring pairs: features, then the served ranker (or cosine when none is trained yet)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from matching.explain import criterion_contributions, explain_pair
from matching.features import FEATURE_NAMES, PairFeatures, pair_features
from matching.filters import Overrides, PairChecks, check_pairs
from matching.geo import geography
from matching.labour_market import Market
from matching.occupations import LOW_CONFIDENCE
from matching.records import Jobseeker, Occupation, Vacancy
from matching.shortlist import Match, occupation_info
from models.registry import ServedRanker

NOISE = 1e-9  # contributions smaller than this are rounding noise, shown as 0


@dataclass
class ScoredPairs:
    """Pairs (vacancies[i], jobseekers[i]) with their occupations, checks, features, scores."""

    vacancies: list[Vacancy]
    jobseekers: list[Jobseeker]
    occupations: list[tuple[Occupation, Occupation]]  # (the vacancy's, the jobseeker's)
    checks: PairChecks
    features: PairFeatures
    scores: np.ndarray


def ranker_name(ranker: ServedRanker | None) -> str:
    return "cosine" if ranker is None else f"{ranker.model.kind} v{ranker.version}"


def _trusted(occupation: Occupation) -> str | None:
    """The URI the features may use: low-confidence inferred occupations are only shown."""
    return occupation.uri if occupation.confidence >= LOW_CONFIDENCE else None


def score_pairs(
    vacancies: list[Vacancy],
    jobseekers: list[Jobseeker],
    similarity: np.ndarray,
    occupations: list[tuple[Occupation, Occupation]],
    market: Market | None,
    ranker: ServedRanker | None,
    overrides: Overrides | None = None,
    as_of: dt.date | None = None,
) -> ScoredPairs:
    """Check (availability as of `as_of`, default today), featurise and score pairs; the
    score is the ranker's logit or the cosine."""
    checks = check_pairs(vacancies, jobseekers, overrides, as_of)
    feats = pair_features(
        vacancies,
        jobseekers,
        similarity,
        [_trusted(v) for v, _ in occupations],
        [_trusted(j) for _, j in occupations],
        checks,
        market,
    )
    if ranker is None or len(jobseekers) == 0:
        scores = np.asarray(similarity, dtype=float)
    else:
        scores = ranker.model.decision_function(feats.X[:, model_columns(ranker)])
    return ScoredPairs(vacancies, jobseekers, occupations, checks, feats, scores)


def model_columns(ranker: ServedRanker) -> list[int]:
    """Columns of the feature matrix the model was trained on (older models know fewer)."""
    names = getattr(ranker.model, "feature_names_", None) or FEATURE_NAMES
    return [FEATURE_NAMES.index(n) for n in names]


def typical(pairs: ScoredPairs, among: np.ndarray) -> np.ndarray:
    """The reference candidate of an explanation: the per-feature median of the candidates
    that pass the filters (of all candidates when none passes)."""
    X = pairs.features.X
    rows = X[among] if among.any() else X
    return np.median(rows, axis=0) if len(rows) else np.zeros(len(FEATURE_NAMES))


def contributions(
    pairs: ScoredPairs, rows: np.ndarray, ranker: ServedRanker | None, reference: np.ndarray
) -> tuple[float, np.ndarray]:
    """(base, per-feature contributions) of the given rows, measured from `reference`:
    score = base + row sum exactly; contributions below NOISE are set to zero."""
    n = len(rows)
    c = np.zeros((n, len(FEATURE_NAMES)))
    if ranker is None:
        sem = FEATURE_NAMES.index("semantic")
        c[:, sem] = pairs.features.column("semantic")[rows] - reference[sem]
        return float(reference[sem]), c
    cols = model_columns(ranker)
    base, own = ranker.model.contributions(pairs.features.X[rows][:, cols], reference[cols])
    c[:, cols] = own
    c[np.abs(c) < NOISE] = 0.0
    return base, c


def matches(
    pairs: ScoredPairs,
    rows: np.ndarray,
    ranker: ServedRanker | None,
    direction: str,
    reference: np.ndarray | None = None,
) -> list[Match]:
    """Ranked, explained matches for the given rows (already in rank order), contributions
    measured from `reference` (default: the typical passing candidate of `pairs`)."""
    geo = geography()
    if reference is None:
        reference = typical(pairs, pairs.checks.passed)
    base, contrib = contributions(pairs, rows, ranker, reference)
    out = []
    for rank, (i, crow) in enumerate(zip(rows, contrib, strict=True), start=1):
        v, j = pairs.vacancies[i], pairs.jobseekers[i]
        v_occ, j_occ = pairs.occupations[i]
        other, occ = (j, j_occ) if direction == "jobseekers" else (v, v_occ)
        criteria = explain_pair(
            v,
            j,
            pairs.features,
            pairs.checks,
            int(i),
            criterion_contributions(crow),
            (v_occ, j_occ),
        )
        out.append(
            Match(
                id=other.id,
                rank=rank,
                score=float(pairs.scores[i]),
                base=float(base),
                similarity=float(pairs.features.column("semantic")[i]),
                distance_km=round(float(pairs.checks.distance_km[i]), 1),
                region=geo.region_of(other.postcode),
                title=j.desired_occupation if direction == "jobseekers" else v.title,
                occupation=occupation_info(occ.uri, occ.confidence if occ.uri else None),
                criteria=criteria,
            )
        )
    return out
