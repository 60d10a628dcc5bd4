"""The hand-weighted baseline: a linear scorer with the weights a matchmaker would set.

Commercial matching engines let a matchmaker weigh criteria (occupation, skills, distance,
education, experience, hours) by hand. These weights were written down before any ranker of
issue 13 was measured and are never tuned on evaluation data: they are the baseline a user
would really compare the learned ranker with. Features and scales are `matching.features`.
"""

from __future__ import annotations

import numpy as np

from matching.features import FEATURE_NAMES

WEIGHTS: dict[str, float] = {
    "semantic": 4.0,  # cosine 0.75-0.90 with e5: up to about 0.6 points
    "title_sim": 1.0,
    "skill_overlap": 1.5,
    "cv_skill_overlap": 1.0,
    "nice_overlap": 0.3,
    "same_occupation": 1.0,
    "same_isco_unit": 0.6,
    "same_isco_minor": 0.3,
    "same_isco_submajor": 0.2,
    "distance_ratio": -1.0,  # the whole travel radius costs a point
    "same_region": 0.2,
    "education_gap": 0.2,  # per level above (or below) the minimum asked
    "experience_years": 0.03,
    "experience_short": -0.2,  # per year short of what the vacancy asks
    "hours_short": -0.1,
    "hours_excess": -0.02,
    "licence_ok": 1.0,
}

_VECTOR = np.array([WEIGHTS.get(name, 0.0) for name in FEATURE_NAMES])


def hand_weighted_scores(X: np.ndarray) -> np.ndarray:
    """Scores of feature rows X (columns in `FEATURE_NAMES` order)."""
    return np.asarray(X, dtype=float) @ _VECTOR if len(X) else np.zeros(0)
