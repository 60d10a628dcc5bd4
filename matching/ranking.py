"""Scoring pairs: features, then the served ranker (or cosine when none is trained yet)."""

from __future__ import annotations

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
) -> ScoredPairs:
    """Check, featurise and score pairs; score is the ranker's logit or the cosine."""
    checks = check_pairs(vacancies, jobseekers, overrides)
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
        scores = ranker.model.decision_function(feats.X)
    return ScoredPairs(vacancies, jobseekers, occupations, checks, feats, scores)


def contributions(
    pairs: ScoredPairs, rows: np.ndarray, ranker: ServedRanker | None
) -> tuple[list[float], np.ndarray]:
    """(base per row, per-feature contributions) for the given rows; exact and additive."""
    n = len(rows)
    if ranker is None:
        c = np.zeros((n, len(FEATURE_NAMES)))
        c[:, FEATURE_NAMES.index("semantic")] = pairs.features.column("semantic")[rows]
        return [0.0] * n, c
    base, c = ranker.model.contributions(pairs.features.X[rows])
    return [base] * n, c


def matches(
    pairs: ScoredPairs, rows: np.ndarray, ranker: ServedRanker | None, direction: str
) -> list[Match]:
    """Ranked, explained matches for the given rows (already in rank order)."""
    geo = geography()
    bases, contrib = contributions(pairs, rows, ranker)
    out = []
    for rank, (i, base, crow) in enumerate(zip(rows, bases, contrib, strict=True), start=1):
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
