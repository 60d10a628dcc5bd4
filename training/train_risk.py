"""`werkmatch train-risk`: fit the risk model on train jobseekers, compare, log, promote.

The calibrated additive model (`models.risk.RiskModel`) is fitted on the train split and
judged on the validation split by Brier score, beside the two baselines (the base rate, and
the share still unemployed per phase of unemployment) and the current champion on the same
rows. It is registered in MLflow as `werkmatch-risk` and gets the `champion` alias only when
its validation Brier score beats the champion's. Nothing here reads a test jobseeker: the
held-out report is `training/risk_report.py`, read once per report.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import brier_score_loss, roc_auc_score

from eval.plots import calibration_plot
from matching.risk_features import FEATURES
from matching.service import Matcher
from matching.timing import started
from models.registry import (
    RISK_EXPERIMENT,
    RISK_NAME,
    configure,
    load_risk_champion,
    log_registered_model,
    promote,
)
from models.risk import RiskModel
from training.risk_data import build_risk_set, xy


def base_rate(train: pl.DataFrame, rows: pl.DataFrame) -> np.ndarray:
    """Baseline: everyone gets the train share still unemployed."""
    return np.full(rows.height, float(train["still_unemployed"].mean()))


def phase_only(train: pl.DataFrame, rows: pl.DataFrame) -> np.ndarray:
    """Baseline: the train share still unemployed of the person's phase (the Werkplein's
    segmentation by duration alone)."""
    shares = train.group_by("fase").agg(pl.col("still_unemployed").mean().alias("p"))
    joined = rows.select("fase").join(shares, on="fase", how="left", maintain_order="left")
    return joined["p"].fill_null(float(train["still_unemployed"].mean())).to_numpy()


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    out = {"brier": float(brier_score_loss(y, p))}
    out["auc"] = float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else float("nan")
    return out


def log_loss_safe(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_risk(data: pl.DataFrame, C: float = 1.0) -> RiskModel:
    train = data.filter(pl.col("split") == "train")
    X, y = xy(train)
    if train.height < 20 or len(set(y.tolist())) < 2:
        raise ValueError("not enough histories to train a risk model (need both outcomes)")
    return RiskModel(feature_names=list(FEATURES), C=C).fit(X, y)


def train_risk(matcher: Matcher, promote_if_better: bool = True, C: float = 1.0) -> dict:
    """Train, compare on validation, log, register and (maybe) promote the risk model."""
    settings, took = matcher.settings, started()
    data = build_risk_set(matcher)
    model = fit_risk(data, C)
    train = data.filter(pl.col("split") == "train")
    valid = data.filter(pl.col("split") == "valid")
    Xv, yv = xy(valid)
    predicted = {
        "model": model.predict_proba(Xv)[:, 1],
        "base_rate": base_rate(train, valid),
        "phase_only": phase_only(train, valid),
    }
    champion = load_risk_champion(settings.tracking_uri, settings.home)
    if champion is not None and list(champion.model.feature_names_) == list(FEATURES):
        predicted["champion_before"] = champion.model.predict_proba(Xv)[:, 1]
    valid_scores = {k: scores(yv, p) for k, p in predicted.items()}
    before = valid_scores.get("champion_before", {}).get("brier")
    better = before is None or valid_scores["model"]["brier"] < before
    version, run_id = _log_and_register(matcher, model, data, valid_scores, predicted, yv)
    promoted = bool(promote_if_better and better)
    if promoted:
        promote(settings.tracking_uri, settings.home, version, name=RISK_NAME)
        matcher.risk.reload()
    return {
        "version": version,
        "run_id": run_id,
        "promoted": promoted,
        "valid": valid_scores,
        "rows": {s: int((data["split"] == s).sum()) for s in ("train", "valid")},
        "seconds": round(took.seconds, 1),
    }


def _log_and_register(
    matcher: Matcher,
    model: RiskModel,
    data: pl.DataFrame,
    valid_scores: dict[str, dict[str, float]],
    predicted: dict[str, np.ndarray],
    yv: np.ndarray,
) -> tuple[str, str]:
    """One MLflow run: parameters, validation metrics, validation calibration plot, model."""
    settings = matcher.settings
    mlflow = configure(settings.tracking_uri, settings.home, RISK_EXPERIMENT)
    with mlflow.start_run(run_name="train-risk") as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(
            {
                "kind": "onehot_logistic_platt",
                "C": model.C,
                "folds": model.folds,
                "features": ",".join(model.feature_names_),
                **{f"{s}_rows": int((data["split"] == s).sum()) for s in ("train", "valid")},
            }
        )
        for name, values in valid_scores.items():
            mlflow.log_metrics({f"valid_{k}_{name}": v for k, v in values.items()})
        mlflow.log_metric("valid_brier", valid_scores["model"]["brier"])
        mlflow.log_metric("valid_log_loss", log_loss_safe(yv, predicted["model"]))
        curves = {k: (p, yv) for k, p in predicted.items() if k != "champion_before"}
        plot = calibration_plot(curves, Path(tmp) / "valid_calibration.png")
        mlflow.log_artifact(str(plot))
        version = log_registered_model(mlflow, model, "risk", RISK_NAME)
        return version, run.info.run_id
