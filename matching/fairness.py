"""Fairness-aware re-ranking of a shortlist's top k (the greedy constrained re-ranking that
LinkedIn published for Recruiter: Geyik, Ambler and Kenthapadi, KDD 2019, "DetGreedy").

Candidates fall in groups (here: 45+ or not, more than 12 months unemployed or not). Given a
desired share per group (its share among the eligible candidates), every prefix of the top k
holds at least floor(share * length) of each group; within that rule the best-scoring
candidate comes first (DetGreedy can paint itself into a corner when several groups fall due
at once; looking ahead to the earliest prefix without slack avoids that). Only what the
records say is used: an unknown age band counts as not 45+.
"""

from __future__ import annotations

import math

import numpy as np

from matching.records import AgeBand, Jobseeker

RECORDED_OLDER = frozenset({AgeBand.FROM_45, AgeBand.FROM_55})


def groups_of(people: list[Jobseeker], older: list[bool] | None = None) -> np.ndarray:
    """Group per jobseeker: 2 * (45+) + (> 12 months unemployed); 45+ from the records unless
    `older` says it (the evaluation knows the hidden truth)."""
    if older is None:
        older = [j.age_band in RECORDED_OLDER for j in people]
    return np.array(
        [2 * int(o) + int(j.months_unemployed >= 12) for o, j in zip(older, people, strict=True)],
        dtype=int,
    )


def fair_order(scores: np.ndarray, people: list[Jobseeker], k: int) -> np.ndarray:
    """Positions of `people` re-ranked: the fair top k (shares among all of them), then the
    rest by score."""
    groups = groups_of(people)
    top = fair_top(scores, groups, group_shares(groups), k) if len(people) else np.zeros(0, int)
    chosen = set(top.tolist())
    rest = [i for i in np.argsort(-scores, kind="stable").tolist() if i not in chosen]
    return np.array(top.tolist() + rest, dtype=int)


def group_shares(groups: np.ndarray) -> dict[int, float]:
    """Share of each group label among the candidates."""
    labels, counts = np.unique(groups, return_counts=True)
    return {int(g): c / len(groups) for g, c in zip(labels, counts, strict=True)}


def fair_top(
    scores: np.ndarray, groups: np.ndarray, shares: dict[int, float], k: int
) -> np.ndarray:
    """Positions of the re-ranked top k: each prefix meets every group's minimum share.

    When the members still owed to the groups by some later prefix length fill every place
    up to it (no slack), the best candidate of a group owing one goes next; otherwise the best
    candidate overall. Checking the earliest tight length first keeps every rule satisfiable.
    """
    queues = {
        g: list(np.flatnonzero(groups == g)[np.argsort(-scores[groups == g], kind="stable")])
        for g in shares
    }
    counts = dict.fromkeys(shares, 0)
    out: list[int] = []
    k = min(k, len(scores))
    while len(out) < k:
        length = len(out) + 1
        options = _owing(shares, counts, queues, length, k) or [g for g in shares if queues[g]]
        best = max(options, key=lambda g: scores[queues[g][0]])
        out.append(int(queues[best].pop(0)))
        counts[best] += 1
    return np.array(out, dtype=int)


def _owing(
    shares: dict[int, float], counts: dict[int, int], queues: dict[int, list], length: int, k: int
) -> list[int]:
    """Groups to serve now: those owing members by the earliest prefix length without slack."""
    for end in range(length, k + 1):
        owed = {
            g: min(counts[g] + len(queues[g]), math.floor(shares[g] * end + 1e-9)) - counts[g]
            for g in shares
        }
        if sum(max(0, v) for v in owed.values()) >= end - length + 1:
            return [g for g, v in owed.items() if v > 0]
    return []
