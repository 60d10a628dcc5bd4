"""Shortlists: retrieve by vector, apply hard filters, order, explain per criterion."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matching.taxonomy import taxonomy


@dataclass
class Criterion:
    """One criterion of a match: its value, whether it passed, its share of the score."""

    name: str
    value: str
    passed: bool | None
    contribution: float
    reason: str


@dataclass
class Match:
    """One ranked counterpart (a jobseeker for a vacancy, or a vacancy for a jobseeker).

    score = base + the sum of the criteria's contributions.
    """

    id: str
    rank: int
    score: float
    base: float
    similarity: float
    distance_km: float
    region: str
    title: str
    occupation: dict[str, str | None]
    criteria: list[Criterion]


@dataclass
class Shortlist:
    """A ranked list for one query record, with what retrieval and filters did."""

    query_id: str
    direction: str  # "jobseekers" (for a vacancy) or "vacancies" (for a jobseeker)
    items: list[Match]
    retrieved: int
    passed_filters: int
    filtered_out: dict[str, int]
    model_id: str
    ranker: str = "cosine"
    reference: str = ""  # what the contributions are measured from
    fair: bool = False  # re-ranked for the exposure of 45+ and long-term unemployed
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class FitCheck:
    """One jobseeker against one vacancy: score, would-be rank, criteria and what is missing."""

    vacancy_id: str
    jobseeker_id: str
    score: float
    base: float
    passes_filters: bool
    rank: int | None  # position in the vacancy's shortlist; None when filtered out
    ranked_among: int
    ranker: str
    criteria: list[Criterion]
    missing: dict[str, object]
    reference: str = ""


def occupation_info(uri: str | None, confidence: float | None = None) -> dict[str, str | None]:
    """ESCO URI, Dutch label and ISCO unit group with its label, where known."""
    occ = taxonomy().get(uri) if uri else None
    if occ is None:
        return {"esco_uri": None, "label": None, "isco": None, "isco_label": None}
    info = {
        "esco_uri": occ.uri,
        "label": occ.label,
        "isco": occ.isco,
        "isco_label": taxonomy().isco_label(occ.isco),
    }
    if confidence is not None:
        info["confidence"] = f"{confidence:.2f}"
    return info


def top_passing(scores: np.ndarray, passed: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best-scoring candidates that passed the filters, best first."""
    idx = np.flatnonzero(passed)
    order = np.argsort(-scores[idx], kind="stable")
    return idx[order[:k]]
