"""The ranker: scikit-learn conventions, exact additive explanations, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import NotFittedError

from models.ranker import Ranker

NAMES = ["semantic", "distance_km", "skill_overlap", "hours_short", "same_region"]


def data(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.uniform(0.6, 0.95, n),
            rng.uniform(0, 60, n),
            rng.uniform(0, 1, n),
            rng.integers(0, 10, n),
            rng.integers(0, 2, n),
        ]
    ).astype(float)
    logit = 12 * (X[:, 0] - 0.8) - 0.05 * X[:, 1] + 2 * X[:, 2] - 0.2 * X[:, 3]
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    return X, y


@pytest.fixture(scope="module", params=["boosted_gam", "spline_logistic"])
def fitted(request) -> Ranker:
    X, y = data()
    return Ranker(kind=request.param, feature_names=NAMES, max_iter=60).fit(X, y)


@settings(max_examples=60, deadline=None)
@given(rows=arrays(np.float64, (7, 5), elements=st.floats(-10, 100, allow_nan=False)))
def test_contributions_add_up_to_the_score_exactly(fitted: Ranker, rows):
    base, contrib = fitted.contributions(rows)
    assert contrib.shape == rows.shape
    np.testing.assert_allclose(
        base + contrib.sum(axis=1), fitted.decision_function(rows), atol=1e-6, rtol=0
    )


def test_compiled_tables_equal_the_boosted_model():
    X, y = data()
    model = Ranker(kind="boosted_gam", feature_names=NAMES, max_iter=60).fit(X, y)
    probe = np.vstack([X, data(seed=3)[0], np.median(X, axis=0)[None, :] + 1000])
    np.testing.assert_allclose(
        model.decision_function(probe), model.estimator_.decision_function(probe), atol=1e-9
    )


def test_no_rows_no_error(fitted: Ranker):
    base, contrib = fitted.contributions(np.zeros((0, 5)))
    assert contrib.shape == (0, 5) and np.isfinite(base)


def test_learns_the_known_directions(fitted: Ranker):
    X, y = data(seed=1)
    auc_like = np.mean(
        fitted.decision_function(X[y == 1]).mean() > fitted.decision_function(X[y == 0]).mean()
    )
    assert auc_like == 1.0
    probe = np.repeat(np.median(X, axis=0)[None, :], 2, axis=0)
    probe[:, 1] = [5.0, 50.0]  # nearer is better
    s = fitted.decision_function(probe)
    assert s[0] > s[1]


def test_boosted_gam_is_monotone_in_similarity():
    X, y = data()
    model = Ranker(kind="boosted_gam", feature_names=NAMES, max_iter=60).fit(X, y)
    grid = np.repeat(np.median(X, axis=0)[None, :], 50, axis=0)
    grid[:, 0] = np.linspace(0.6, 0.95, 50)
    assert (np.diff(model.decision_function(grid)) >= -1e-12).all()


def test_unconstrained_trees_refuse_to_explain():
    X, y = data()
    model = Ranker(kind="boosted_trees", feature_names=NAMES, max_iter=30).fit(X, y)
    assert not model.additive
    with pytest.raises(ValueError, match="not additive"):
        model.contributions(X[:2])


def test_estimator_conventions(fitted: Ranker):
    assert Ranker().get_params()["kind"] == "boosted_gam"
    with pytest.raises(NotFittedError):
        Ranker().decision_function(np.zeros((1, 5)))
    with pytest.raises(ValueError):
        Ranker(kind="magic").fit(*data())
    with pytest.raises(ValueError):
        fitted.decision_function(np.zeros((1, 4)))  # wrong number of features
    again = pickle.loads(pickle.dumps(fitted))
    X, _ = data(seed=2)
    np.testing.assert_array_equal(again.decision_function(X), fitted.decision_function(X))
    assert again.feature_names_ == NAMES
