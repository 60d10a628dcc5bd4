"""Ranking metrics on hand-computed examples."""

from __future__ import annotations

import math

import pytest

from eval.metrics import dcg, ndcg_at_k, recall_at_k, reciprocal_rank


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
