"""What any ranker over the served features could reach: a diagnostic on validation only.

The ranker learns from outcomes (noisy invitations by biased employers) and is judged against
the demo world's hidden truth. To tell how much of its distance to the oracle is the labels'
and how much the records' (what no feature shows: the latent quality, the distance really
accepted, skills nobody wrote down), `feature_ceiling` fits regressors on the hidden truth
itself over the features of the evaluation's candidates of half the validation vacancies and
scores NDCG@10 on the other half, on the same candidates as the served ranker, the
hand-weighted scorer and the oracle. A truth-fitted model is impossible outside a simulation:
it bounds what better learning from outcomes could add. It never reads the test split.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from tqdm.auto import tqdm

from eval.hand_weighted import hand_weighted_scores
from eval.judge import Judge
from eval.metrics import bootstrap_ci, ndcg_at_k
from eval.offline import TOP, Judged, judged_candidates
from matching.features import FEATURE_NAMES
from matching.records import Kind
from matching.service import Matcher
from models.registry import ServedRanker

SPLIT = "valid"  # never "test": this diagnostic may be looked at while choosing models
METHODS = ("hand_weighted", "ranker", "truth_fitted_additive", "truth_fitted_trees", "oracle")


def feature_ceiling(
    matcher: Matcher,
    ranker: ServedRanker | None = None,
    seed: int = 0,
    max_queries: int | None = None,
    progress: bool = True,
) -> dict:
    """NDCG@10 (mean, ci95) per method on the scored half of the validation vacancies."""
    from demo.world import REFERENCE_DATE

    ranker = ranker if ranker is not None else matcher.ranker
    judge = Judge(matcher, SPLIT)
    if not judge.truth:
        raise ValueError("the feature ceiling needs a demo world's hidden truth")
    ctx = matcher.context(REFERENCE_DATE)
    ids = judge.ids[Kind.VACANCIES][:max_queries]
    queries = [
        q
        for qid in tqdm(ids, desc="validation vacancies", disable=not progress)
        if (q := judged_candidates(ctx, judge, matcher.store.get(Kind.VACANCIES, qid), ranker))
        and len(q.keep)
    ]
    fitted = np.random.default_rng(seed).permutation(len(queries)) < len(queries) // 2
    columns = _columns(ranker)
    models = _fit_on_truth([q for q, f in zip(queries, fitted, strict=True) if f], columns, seed)
    values: dict[str, list[float]] = {m: [] for m in METHODS}
    for q in (q for q, f in zip(queries, fitted, strict=True) if not f):
        X = q.found.pairs.features.X[q.keep]
        scores = {
            "hand_weighted": hand_weighted_scores(X),
            "ranker": q.found.pairs.scores[q.keep],
            "oracle": _truth(q),
        } | {name: model.predict(X[:, columns]) for name, model in models.items()}
        for method, s in scores.items():
            values[method].append(_ndcg(q, s))
    return {
        "split": SPLIT,
        "fitted_queries": int(fitted.sum()),
        "scored_queries": len(values["oracle"]),
        "features": [FEATURE_NAMES[c] for c in columns],
        "ndcg@10": {
            m: {"mean": float(np.mean(v)), "ci95": list(bootstrap_ci(v))}
            for m, v in values.items()
            if v
        },
    }


def _truth(q: Judged) -> np.ndarray:
    return np.array([q.suitability[i] for i in q.ids])


def _ndcg(q: Judged, scores: np.ndarray) -> float:
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    return ndcg_at_k([q.grades[i] for i in q.ids[order]], list(q.grades.values()), TOP)


def _columns(ranker: ServedRanker | None) -> list[int]:
    """The feature columns the served ranker reads (all of them without a ranker)."""
    names = getattr(ranker.model, "feature_names_", None) if ranker else None
    return [FEATURE_NAMES.index(n) for n in (names or FEATURE_NAMES)]


def _fit_on_truth(
    queries: list[Judged], columns: list[int], seed: int
) -> dict[str, HistGradientBoostingRegressor]:
    """Regressors of suitability on the features: additive (the served form) and free."""
    X = np.vstack([q.found.pairs.features.X[q.keep][:, columns] for q in queries])
    y = np.concatenate([_truth(q) for q in queries])
    models = {}
    for name, constraint in (
        ("truth_fitted_additive", "no_interactions"),
        ("truth_fitted_trees", None),
    ):
        models[name] = HistGradientBoostingRegressor(
            max_iter=300, interaction_cst=constraint, random_state=seed
        ).fit(X, y)
    return models
