"""Ranking metrics: NDCG@k, Recall@k, reciprocal rank (exponential-free, graded gains)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def dcg(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain of the first k gains: sum g_i / log2(i + 1), i from 1."""
    g = np.asarray(gains, dtype=float)[:k]
    return float((g / np.log2(np.arange(2, len(g) + 2))).sum())


def ndcg_at_k(ranked_gains: Sequence[float], all_gains: Sequence[float], k: int = 10) -> float:
    """DCG of the ranking over the DCG of the best possible ranking of `all_gains`."""
    ideal = dcg(sorted(all_gains, reverse=True), k)
    return dcg(ranked_gains, k) / ideal if ideal > 0 else 0.0


def recall_at_k(ranked_ids: Sequence, relevant: set, k: int) -> float:
    """Share of the relevant ids found in the first k."""
    if not relevant:
        return 0.0
    return len(set(list(ranked_ids)[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked_ids: Sequence, relevant: set) -> float:
    """1 / rank of the first relevant id (0 when none)."""
    for rank, rid in enumerate(ranked_ids, start=1):
        if rid in relevant:
            return 1.0 / rank
    return 0.0
