"""Ranking metrics: NDCG@k, Recall@k, reciprocal rank (exponential-free, graded gains);
bootstrap intervals of means, ratios and any statistic."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

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


def bootstrap_ci(
    values: Sequence[float], n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (resampling the queries)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return float("nan"), float("nan")
    means = _resampled_means(v[None, :], n_boot, seed)[0]
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return float(lo), float(hi)


def bootstrap_ratio_ci(
    numerator: Sequence[float],
    denominator: Sequence[float],
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Paired bootstrap interval of mean(numerator) / mean(denominator) over the same
    resampled queries (both sequences are per query, in the same order)."""
    pair = np.vstack([np.asarray(numerator, float), np.asarray(denominator, float)])
    if pair.shape[1] == 0:
        return float("nan"), float("nan")
    means = _resampled_means(pair, n_boot, seed)
    ratios = means[0] / np.where(means[1] > 0, means[1], np.nan)
    tail = (1 - level) / 2 * 100
    lo, hi = np.nanpercentile(ratios, [tail, 100 - tail])
    return float(lo), float(hi)


def bootstrap_stat_ci(
    stat: Callable[..., float],
    *columns: Sequence[float],
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of any statistic of paired columns (e.g. AUC of labels
    and scores), resampling rows; resamples where the statistic is undefined are skipped."""
    cols = [np.asarray(c, dtype=float) for c in columns]
    n = len(cols[0])
    if n == 0:
        return float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. AUC of a resample holding one class only
        for rows in idx:
            try:
                values.append(stat(*(c[rows] for c in cols)))
            except ValueError:
                continue
    values = [v for v in values if np.isfinite(v)]
    if not values:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def _resampled_means(rows: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """(len(rows), n_boot) means of the rows over the same bootstrap resamples of columns."""
    n = rows.shape[1]
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    return rows[:, idx].mean(axis=2)
