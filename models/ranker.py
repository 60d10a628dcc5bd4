"""The learned ranker: scikit-learn models scored in logit space, with additive explanations.

Three kinds, one estimator:
- `boosted_gam`: gradient-boosted trees that may each use one feature only
  (`interaction_cst="no_interactions"`), so the model is a sum of per-feature shapes, with
  monotonic constraints where the direction is known (more similar never ranks lower).
- `spline_logistic`: logistic regression on per-feature cubic splines (a classic GAM).
- `boosted_trees`: unconstrained gradient boosting, for comparison only: not additive.

For an additive f, f(x) = f(r) + sum_i [f(x_i, r_-i) - f(r)] holds exactly for any reference
r, so `contributions` returns base = f(r) and one exact term per feature.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

ADDITIVE_KINDS = ("boosted_gam", "spline_logistic")

# Known directions: +1 increasing, -1 decreasing, 0 free.
MONOTONE: dict[str, int] = {
    "semantic": 1,
    "title_sim": 1,
    "skill_sim": 1,
    "skill_overlap": 1,
    "cv_skill_overlap": 1,
    "nice_overlap": 1,
    "same_occupation": 1,
    "same_isco_unit": 1,
    "same_isco_minor": 1,
    "same_isco_submajor": 1,
    "distance_km": -1,
    "distance_ratio": -1,
    "same_region": 1,
    "experience_years": 1,
    "experience_short": -1,
    "senior_experience": 1,
    "hours_short": -1,
    "care_hours_short": -1,
    "licence_ok": 1,
}


class Ranker(ClassifierMixin, BaseEstimator):
    """Scores (vacancy, jobseeker) pairs; higher means a better match."""

    _parameter_constraints: ClassVar[dict] = {
        "kind": [StrOptions({"boosted_gam", "spline_logistic", "boosted_trees"})],
        "feature_names": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, 1, closed="right")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left")],
        "l2_regularization": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        kind: str = "boosted_gam",
        feature_names: list[str] | None = None,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 8,
        l2_regularization: float = 1.0,
        random_state: int | None = 0,
    ) -> None:
        self.kind = kind
        self.feature_names = feature_names
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None) -> Ranker:
        """Fit on pairs X with binary labels y (1 = invited or placed)."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_ = np.unique(y)
        names = (
            list(self.feature_names)
            if self.feature_names is not None
            else [f"x{i}" for i in range(X.shape[1])]
        )
        if len(names) != X.shape[1]:
            raise ValueError(f"{len(names)} feature names for {X.shape[1]} features")
        self.feature_names_ = names
        if self.kind == "spline_logistic":
            self.estimator_ = self._spline_logistic(X)
        else:
            self.estimator_ = HistGradientBoostingClassifier(
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                l2_regularization=self.l2_regularization,
                interaction_cst="no_interactions" if self.kind == "boosted_gam" else None,
                monotonic_cst=[MONOTONE.get(n, 0) for n in names],
                early_stopping=False,
                random_state=self.random_state,
            )
        fit_kw = {}
        if sample_weight is not None:
            key = (
                "logisticregression__sample_weight"
                if self.kind == "spline_logistic"
                else ("sample_weight")
            )
            fit_kw[key] = sample_weight
        self.estimator_.fit(X, y, **fit_kw)
        self.reference_ = np.median(X, axis=0)
        self.tables_ = self._compile() if self.kind == "boosted_gam" else None
        return self

    def _compile(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per-feature step tables of the boosted GAM: (thresholds, contribution per interval).

        Each tree splits on one feature only, so the model is base + sum_f g_f(x_f) with g_f
        constant between the split thresholds of feature f (x <= t goes left). The table value
        of an interval is the model's own contribution at a point of that interval.
        """
        cuts: list[set[float]] = [set() for _ in range(self.n_features_in_)]
        for iteration in self.estimator_._predictors:
            for tree in iteration:
                inner = tree.nodes[tree.nodes["is_leaf"] == 0]
                for f, t in zip(inner["feature_idx"], inner["num_threshold"], strict=True):
                    cuts[int(f)].add(float(t))
        tables = []
        for f, points in enumerate(cuts):
            t = np.array(sorted(points))
            probe = np.append(t, t[-1] + 1.0) if len(t) else np.array([self.reference_[f]])
            X = np.repeat(self.reference_[None, :], len(probe), axis=0)
            X[:, f] = probe
            base = self.estimator_.decision_function(self.reference_[None, :])[0]
            tables.append((t, self.estimator_.decision_function(X).ravel() - base))
        self.table_base_ = float(base)
        return tables

    def _table_contributions(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [v[np.searchsorted(t, X[:, f], side="left")] for f, (t, v) in enumerate(self.tables_)]
        )

    def _spline_logistic(self, X: np.ndarray):
        varied = [i for i in range(X.shape[1]) if len(np.unique(X[:, i])) > 8]
        plain = [i for i in range(X.shape[1]) if i not in varied]
        columns = ColumnTransformer(
            [
                (
                    "splines",
                    SplineTransformer(
                        n_knots=5, degree=3, knots="quantile", extrapolation="constant"
                    ),
                    varied,
                ),
                ("plain", StandardScaler(), plain),
            ],
        )
        return make_pipeline(columns, LogisticRegression(C=1.0, max_iter=2000))

    @property
    def additive(self) -> bool:
        return self.kind in ADDITIVE_KINDS

    def decision_function(self, X) -> np.ndarray:
        """Scores in logit space."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if getattr(self, "tables_", None):
            return self.table_base_ + self._table_contributions(X).sum(axis=1)
        return np.asarray(self.estimator_.decision_function(X), dtype=np.float64).ravel()

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.estimator_.predict_proba(validate_data(self, X, dtype=np.float64, reset=False))

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def contributions(self, X, reference=None) -> tuple[float, np.ndarray]:
        """(base, C): score = base + C.sum(axis=1) exactly, one column per feature; base is
        the score of `reference` (a typical candidate; default: the training median)."""
        check_is_fitted(self)
        if not self.additive:
            raise ValueError(f"{self.kind} is not additive: no exact per-feature explanation")
        ref = self.reference_ if reference is None else np.asarray(reference, dtype=np.float64)
        X = validate_data(self, X, dtype=np.float64, reset=False) if len(X) else X
        if getattr(self, "tables_", None):
            at_ref = self._table_contributions(ref[None, :])
            base = self.table_base_ + float(at_ref.sum())
            if len(X) == 0:
                return base, np.zeros((0, self.n_features_in_))
            return base, self._table_contributions(X) - at_ref
        base = float(self.decision_function(ref[None, :])[0])
        if len(X) == 0:
            return base, np.zeros((0, self.n_features_in_))
        n, f = X.shape
        probe = np.repeat(ref[None, :], n * f, axis=0)
        rows = np.arange(n * f)
        cols = np.tile(np.arange(f), n)
        probe[rows, cols] = X.reshape(-1)
        single = self.decision_function(probe).reshape(n, f)
        return base, single - base
