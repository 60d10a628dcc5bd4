"""The MLflow side of the ranker: tracking store in the data directory, registry, champion."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from models.ranker import Ranker

log = logging.getLogger("werkmatch")

MODEL_NAME = "werkmatch-ranker"
EXPERIMENT = "werkmatch-ranker"
CHAMPION = "champion"


@dataclass
class ServedRanker:
    """A registered ranker version with the metrics it was promoted on."""

    model: Ranker
    version: str
    metrics: dict[str, float]
    run_id: str


def configure(tracking_uri: str, home: Path):
    """Point MLflow at the data directory's tracking store; returns the mlflow module."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        mlflow.create_experiment(EXPERIMENT, artifact_location=(home / "mlartifacts").as_uri())
    mlflow.set_experiment(EXPERIMENT)
    return mlflow


def champion_version(tracking_uri: str, home: Path) -> str | None:
    """The registered version carrying the `champion` alias, if any."""
    mlflow = configure(tracking_uri, home)
    client = mlflow.MlflowClient()
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, CHAMPION).version)
    except mlflow.exceptions.MlflowException:
        return None


def load_version(tracking_uri: str, home: Path, version: str) -> ServedRanker:
    """Load a registered ranker version with its run's metrics."""
    mlflow = configure(tracking_uri, home)
    client = mlflow.MlflowClient()
    mv = client.get_model_version(MODEL_NAME, version)
    model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{version}")
    if model.kind == "boosted_gam" and getattr(model, "tables_", None) is None:
        model.tables_ = model._compile()  # versions saved before compiled tables existed
    metrics = dict(client.get_run(mv.run_id).data.metrics)
    return ServedRanker(model, str(mv.version), metrics, mv.run_id)


def load_champion(tracking_uri: str, home: Path) -> ServedRanker | None:
    """The champion ranker, or None when nothing has been promoted yet."""
    version = champion_version(tracking_uri, home)
    return None if version is None else load_version(tracking_uri, home, version)


def promote(tracking_uri: str, home: Path, version: str) -> None:
    """Give `version` the champion alias (promotion or rollback)."""
    mlflow = configure(tracking_uri, home)
    client = mlflow.MlflowClient()
    client.get_model_version(MODEL_NAME, version)  # raises when unknown
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    log.info("ranker version %s is now champion", version)
