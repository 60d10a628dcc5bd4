"""Ranking metrics on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval.metrics import (
    bootstrap_ci,
    bootstrap_ratio_ci,
    dcg,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)


def test_dcg_by_hand():
    # 3/log2(2) + 0/log2(3) + 1/log2(4) = 3 + 0 + 0.5
    assert dcg([3, 0, 1], 10) == pytest.approx(3.5)
    assert dcg([3, 0, 1], 1) == pytest.approx(3.0)


def test_ndcg_by_hand():
    # ranking gains 0, 3 ; ideal 3, 1 -> (3/log2 3) / (3 + 1/log2 3)
    expected = (3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert ndcg_at_k([0, 3], [1, 3, 0], 10) == pytest.approx(expected)
    assert ndcg_at_k([3, 1, 0], [0, 1, 3], 10) == pytest.approx(1.0)
    assert ndcg_at_k([0, 0], [0, 0], 10) == 0.0


def test_recall_and_mrr_by_hand():
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, {"b", "d", "z"}, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, set(), 2) == 0.0
    assert reciprocal_rank(ranked, {"c", "d"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {"z"}) == 0.0


def test_bootstrap_interval_of_a_constant_is_the_constant():
    assert bootstrap_ci([0.4] * 30) == pytest.approx((0.4, 0.4))


def test_bootstrap_interval_matches_the_binomial_by_hand():
    # Ten 0s and ten 1s: a resample's mean is Binomial(20, 1/2) / 20. Its 2.5% quantile is
    # 6/20 (P[X <= 5] = 0.021 < 0.025 < P[X <= 6] = 0.058) and its 97.5% quantile 14/20.
    lo, hi = bootstrap_ci([0.0] * 10 + [1.0] * 10, n_boot=40_000, seed=1)
    assert lo == pytest.approx(0.30)
    assert hi == pytest.approx(0.70)


def test_paired_ratio_interval_is_tight_when_the_ratio_is_fixed():
    # Every query's value doubled: every resample's ratio of means is exactly 2.
    base = [0.1, 0.5, 0.3, 0.9, 0.2]
    lo, hi = bootstrap_ratio_ci([2 * b for b in base], base)
    assert lo == pytest.approx(2.0) and hi == pytest.approx(2.0)


def test_paired_ratio_interval_brackets_the_ratio_of_means():
    a, b = [0.6, 0.2, 0.9, 0.4, 0.5, 0.7], [0.3, 0.3, 0.6, 0.2, 0.5, 0.4]
    lo, hi = bootstrap_ratio_ci(a, b, n_boot=5000)
    ratio = sum(a) / sum(b)
    assert lo < ratio < hi
    assert bootstrap_ci([]) != bootstrap_ci([])  # nan: no queries, no interval


def test_bootstrap_of_a_statistic_brackets_it_and_skips_undefined_resamples():
    from sklearn.metrics import roc_auc_score

    from eval.metrics import bootstrap_stat_ci

    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.4).astype(int)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    lo, hi = bootstrap_stat_ci(roc_auc_score, y, p, n_boot=300)
    assert lo <= roc_auc_score(y, p) <= hi and hi - lo < 0.2
    lo, hi = bootstrap_stat_ci(roc_auc_score, [1, 0], [0.9, 0.1], n_boot=50)
    assert lo == hi == 1.0  # resamples of one class are skipped, not counted
