"""`werkmatch train`: build pairs from outcomes, compare rankers, log to MLflow, promote.

The additive models compete on validation NDCG@10 (by vacancy); the unconstrained boosted
trees are trained alongside to show what additivity costs. The winner is refitted on train +
valid, evaluated on held-out vacancies against the current champion in the same run, logged and
registered, and gets the `champion` alias only when it beats the champion's NDCG@10.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from eval.metrics import ndcg_at_k
from eval.offline import evaluate
from eval.plots import figure
from matching.features import FEATURE_NAMES
from matching.service import Matcher
from matching.timing import started
from models.ranker import ADDITIVE_KINDS, Ranker
from models.registry import MODEL_NAME, ServedRanker, configure, load_champion, promote
from training.ranker_data import build_training_set

log = logging.getLogger("werkmatch")

KINDS = ("boosted_gam", "spline_logistic", "boosted_trees")


def grouped_ndcg(frame: pl.DataFrame, scores: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k over vacancies of a labelled frame (gains from outcomes)."""
    scored = frame.select("vacancy_id", "gain").with_columns(pl.Series("score", scores))
    values = []
    for group in scored.partition_by("vacancy_id"):
        gains = group["gain"].to_numpy()
        if gains.max() <= 0:
            continue
        order = np.argsort(-group["score"].to_numpy(), kind="stable")
        values.append(ndcg_at_k(gains[order], gains, k))
    return float(np.mean(values)) if values else 0.0


def _xy(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        frame.select(FEATURE_NAMES).to_numpy(),
        frame["label"].to_numpy(),
        frame["weight"].to_numpy(),
    )


def shape_plot(model: Ranker, frame: pl.DataFrame, path: Path) -> Path:
    """Each feature's contribution over its observed range: what the ranker learned."""
    X = frame.select(FEATURE_NAMES).to_numpy()
    cols = 6
    rows = -(-len(FEATURE_NAMES) // cols)
    with figure(path, rows, cols, figsize=(cols * 2.6, rows * 2.1)) as (fig, axes):
        for i, (ax, name) in enumerate(zip(axes.ravel(), FEATURE_NAMES, strict=False)):
            lo, hi = np.quantile(X[:, i], [0.01, 0.99])
            grid = np.unique(np.linspace(lo, hi, 40)) if hi > lo else np.array([lo])
            probe = np.repeat(model.reference_[None, :], len(grid), axis=0)
            probe[:, i] = grid
            _, contrib = model.contributions(probe)
            ax.plot(grid, contrib[:, i], marker="." if len(grid) < 5 else None)
            ax.axhline(0, color="grey", lw=0.5)
            ax.set_title(name, fontsize=8)
            ax.tick_params(labelsize=6)
        for ax in axes.ravel()[len(FEATURE_NAMES) :]:
            ax.axis("off")
        fig.suptitle(f"Bijdrage per kenmerk ({model.kind}, logit)")
    return path


def comparison_plot(
    valid: dict[str, float], held_out: dict[str, dict[str, float]], path: Path
) -> Path:
    with figure(path, 1, 2, figsize=(10, 3.5)) as (_, (a, b)):
        a.bar(list(valid), list(valid.values()), color="#4c72b0")
        a.set_title("validatie NDCG@10 (uitkomsten)")
        a.tick_params(axis="x", labelsize=8)
        names = list(held_out["ndcg@10"])
        for i, metric in enumerate(held_out):
            b.bar(
                np.arange(len(names)) + i * 0.27,
                [held_out[metric][n] for n in names],
                width=0.27,
                label=metric,
            )
        b.set_xticks(np.arange(len(names)) + 0.27, names, fontsize=8)
        b.set_title("held-out vacatures")
        b.legend(fontsize=7)
    return path


@dataclass
class FittedRanker:
    """The best additive ranker refitted on train + valid, and what it was chosen on."""

    model: Ranker
    valid_ndcg: dict[str, float]
    data: pl.DataFrame  # all labelled pairs, with their split

    @property
    def fitted_on(self) -> pl.DataFrame:
        return self.data.filter(pl.col("split").is_in(["train", "valid"]))


def fit_ranker(
    matcher: Matcher, negatives_per_vacancy: int = 10, max_iter: int = 300, progress: bool = True
) -> FittedRanker:
    """Compare the ranker kinds on validation vacancies; refit the best additive one."""
    data = build_training_set(matcher, negatives_per_vacancy, progress=progress)
    train_f, valid_f = (
        data.filter(pl.col("split") == "train"),
        data.filter(pl.col("split") == "valid"),
    )
    if train_f.height == 0 or valid_f.height == 0 or train_f["label"].n_unique() < 2:
        raise ValueError(
            "not enough outcomes to train a ranker (need train and valid vacancies "
            "with invited/placed and rejected candidates)"
        )
    valid_ndcg = {}
    for kind in KINDS:
        model = Ranker(kind=kind, feature_names=list(FEATURE_NAMES), max_iter=max_iter)
        model.fit(*_xy(train_f)[:2], sample_weight=_xy(train_f)[2])
        valid_ndcg[kind] = grouped_ndcg(valid_f, model.decision_function(_xy(valid_f)[0]))
        log.info("%s: validation NDCG@10 %.4f", kind, valid_ndcg[kind])
    best = max(ADDITIVE_KINDS, key=lambda k: valid_ndcg[k])
    final = Ranker(kind=best, feature_names=list(FEATURE_NAMES), max_iter=max_iter)
    X, y, w = _xy(pl.concat([train_f, valid_f]))
    final.fit(X, y, sample_weight=w)
    return FittedRanker(final, valid_ndcg, data)


def train(
    matcher: Matcher,
    progress: bool = True,
    negatives_per_vacancy: int = 10,
    promote_if_better: bool = True,
    max_iter: int = 300,
) -> dict:
    """Train, compare, log, register and (maybe) promote a ranker; returns a summary."""
    settings = matcher.settings
    took = started()
    fitted = fit_ranker(matcher, negatives_per_vacancy, max_iter, progress)
    final, valid_ndcg, data = fitted.model, fitted.valid_ndcg, fitted.data
    best = final.kind
    candidate = ServedRanker(final, "candidate", {}, "")
    held = evaluate(matcher, candidate, progress=progress)
    champion = load_champion(settings.tracking_uri, settings.home)
    champ_ndcg = None
    if champion is not None:
        champ_ndcg = evaluate(matcher, champion, progress=False).metrics["ndcg@10"]["ranker"]
    new_ndcg = held.metrics["ndcg@10"]["ranker"]
    better = champ_ndcg is None or new_ndcg > champ_ndcg
    mlflow = configure(settings.tracking_uri, settings.home)
    with mlflow.start_run(run_name=f"train-{best}") as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(
            {
                "kind": best,
                "max_iter": max_iter,
                "learning_rate": final.learning_rate,
                "max_leaf_nodes": final.max_leaf_nodes,
                "negatives_per_vacancy": negatives_per_vacancy,
                "features": ",".join(FEATURE_NAMES),
                "pairs": data.height,
                **{
                    f"{split}_vacancies": data.filter(pl.col("split") == split)[
                        "vacancy_id"
                    ].n_unique()
                    for split in ("train", "valid")
                },
                "embedding_model": matcher.serving.embedder.model_id,
            }
        )
        mlflow.log_metrics({f"valid_ndcg10_{k}": v for k, v in valid_ndcg.items()})
        for metric, per in held.metrics.items():
            for method, value in per.items():
                mlflow.log_metric(f"heldout_{metric.replace('@', '')}_{method}", value)
        mlflow.log_metrics({f"exposure_{k}": v for k, v in held.exposure.items() if np.isfinite(v)})
        mlflow.log_metric("ndcg_at_10", new_ndcg)
        folder = Path(tmp)
        mlflow.log_artifact(str(shape_plot(final, fitted.fitted_on, folder / "shapes.png")))
        mlflow.log_artifact(
            str(comparison_plot(valid_ndcg, held.metrics, folder / "comparison.png"))
        )
        (folder / "evaluation.json").write_text(json.dumps(held.as_json(), indent=2))
        mlflow.log_artifact(str(folder / "evaluation.json"))
        info = mlflow.sklearn.log_model(
            final,
            name="ranker",
            registered_model_name=MODEL_NAME,
            serialization_format="pickle",
            pip_requirements=["scikit-learn", "numpy"],  # skip slow inference
        )
        version = str(info.registered_model_version)
        run_id = run.info.run_id
    promoted = bool(promote_if_better and better)
    if promoted:
        promote(settings.tracking_uri, settings.home, version)
        matcher.reload_ranker()
    return {
        "version": version,
        "run_id": run_id,
        "kind": best,
        "promoted": promoted,
        "valid_ndcg@10": valid_ndcg,
        "heldout": held.as_json(),
        "champion_ndcg@10_before": champ_ndcg,
        "pairs": data.height,
        "seconds": round(took.seconds, 1),
    }
