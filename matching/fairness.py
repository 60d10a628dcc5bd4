"""Fairness-aware re-ranking of a shortlist's top k (the greedy constrained re-ranking that
LinkedIn published for Recruiter: Geyik, Ambler and Kenthapadi, KDD 2019, "DetGreedy").

Candidates fall in groups (here: 45+ or not, more than 12 months unemployed or not). Given a
desired share per group (its share among the eligible candidates), every prefix of the top k
holds at least floor(share * length) of each group; within that rule the best-scoring
candidate comes first. Only what the records say is used: an unknown age band counts as
not 45+.
"""

from __future__ import annotations

import math

import numpy as np


def group_shares(groups: np.ndarray) -> dict[int, float]:
    """Share of each group label among the candidates."""
    labels, counts = np.unique(groups, return_counts=True)
    return {int(g): c / len(groups) for g, c in zip(labels, counts, strict=True)}


def fair_top(
    scores: np.ndarray, groups: np.ndarray, shares: dict[int, float], k: int
) -> np.ndarray:
    """Positions of the re-ranked top k: each prefix meets every group's minimum share.

    Each group's next deadline is the first prefix length at which it needs one more member.
    When deadlines leave no slack (the j-th earliest falls within j places), the best
    candidate of a group due by then goes next (earliest deadline first keeps every rule
    satisfiable); otherwise the best candidate overall.
    """
    queues = {
        g: list(np.flatnonzero(groups == g)[np.argsort(-scores[groups == g], kind="stable")])
        for g in shares
    }
    counts = dict.fromkeys(shares, 0)
    out: list[int] = []
    while len(out) < k and any(queues.values()):
        length = len(out) + 1
        options = _due(shares, counts, queues, length) or [g for g in shares if queues[g]]
        best = max(options, key=lambda g: scores[queues[g][0]])
        out.append(int(queues[best].pop(0)))
        counts[best] += 1
    return np.array(out, dtype=int)


def _due(
    shares: dict[int, float], counts: dict[int, int], queues: dict[int, list], length: int
) -> list[int]:
    """Groups that must be served now for every later prefix to stay satisfiable."""
    deadlines = sorted(
        (math.ceil((counts[g] + 1) / shares[g] - 1e-9), g)
        for g in shares
        if queues[g] and shares[g] > 0
    )
    for j, (deadline, _) in enumerate(deadlines, start=1):
        if deadline - length + 1 <= j:
            return [g for d, g in deadlines if d <= deadline]
    return []
