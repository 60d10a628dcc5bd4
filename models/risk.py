"""The risk model: P(still unemployed in 12 months) from categorical features, exactly additive.

Logistic regression on one-hot categories (every feature is binned before it arrives), then
Platt scaling fitted on out-of-fold logits of the training rows (what scikit-learn's
`CalibratedClassifierCV(method="sigmoid", ensemble=False)` does). Both steps are affine in the
logit, so the calibrated logit is exactly `base + sum(contribution)` over the features: each
contribution is the scaled weight of the person's category minus its training mean, and the
base is the calibrated logit of the average training person.
"""

from __future__ import annotations

from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted


class RiskModel(ClassifierMixin, BaseEstimator):
    """Calibrated, additive classifier over named categorical features (strings)."""

    _parameter_constraints: ClassVar[dict] = {
        "feature_names": ["array-like"],
        "C": [Interval(Real, 0, None, closed="neither")],
        "folds": [Interval(Real, 2, None, closed="left")],
    }

    def __init__(self, *, feature_names: list[str], C: float = 1.0, folds: int = 5) -> None:
        self.feature_names = feature_names
        self.C = C
        self.folds = folds

    def fit(self, X: np.ndarray, y: np.ndarray) -> RiskModel:
        """X: (n, features) strings; y: 1 = still unemployed after 12 months."""
        self._validate_params()
        X, y = np.asarray(X, dtype=object), np.asarray(y, dtype=int)
        self.feature_names_ = list(self.feature_names)
        self.encoder_ = OneHotEncoder(handle_unknown="ignore").fit(X)
        Z = self.encoder_.transform(X)
        lr = LogisticRegression(C=self.C, max_iter=2000)
        cv = StratifiedKFold(int(self.folds), shuffle=True, random_state=0)
        oof = cross_val_predict(lr, Z, y, cv=cv, method="decision_function")
        platt = LogisticRegression(C=1e6, max_iter=1000).fit(oof[:, None], y)
        self.scale_, self.shift_ = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        self.linear_ = lr.fit(Z, y)
        self.classes_ = np.array([0, 1])
        self.weights_ = self._per_feature(self.linear_.coef_[0] * self.scale_)
        self.means_ = np.array(
            [
                w[np.searchsorted(self.encoder_.categories_[j], X[:, j])].mean()
                for j, w in enumerate(self.weights_)
            ]
        )
        self.base_ = self.scale_ * float(self.linear_.intercept_[0]) + self.shift_
        self.base_ += float(self.means_.sum())
        return self

    def _per_feature(self, flat: np.ndarray) -> list[np.ndarray]:
        sizes = [len(c) for c in self.encoder_.categories_]
        return np.split(flat, np.cumsum(sizes)[:-1])

    def contributions(self, X: np.ndarray) -> tuple[float, np.ndarray]:
        """(base, (n, features) contributions): base + row sum = the calibrated logit."""
        check_is_fitted(self, "weights_")
        X = np.asarray(X, dtype=object)
        out = np.zeros(X.shape, dtype=float)
        for j, (cats, w) in enumerate(zip(self.encoder_.categories_, self.weights_, strict=True)):
            lookup = dict(zip(cats.tolist(), w.tolist(), strict=True))
            out[:, j] = [lookup.get(v, 0.0) for v in X[:, j].tolist()]
        return self.base_, out - self.means_

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The calibrated logit of being still unemployed after 12 months."""
        base, contrib = self.contributions(X)
        return base + contrib.sum(axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
