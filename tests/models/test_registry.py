"""The model registry: reading a data directory's champion never creates its tracking store."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.registry import (
    CHAMPION,
    EMBEDDER_NAME,
    MODEL_NAME,
    RISK_NAME,
    champion_version,
    configure,
)


@pytest.mark.parametrize("name", [MODEL_NAME, EMBEDDER_NAME, RISK_NAME])
def test_a_new_data_directory_has_no_champion_and_keeps_no_store(tmp_path: Path, name: str):
    db = tmp_path / "mlflow.db"
    assert champion_version(f"sqlite:///{db}", tmp_path, name) is None
    assert not db.exists()


def test_a_champion_is_read_once_the_store_exists(tmp_path: Path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow = configure(uri, tmp_path)
    client = mlflow.MlflowClient()
    with mlflow.start_run() as run:
        mlflow.log_param("p", 1)
    client.create_registered_model(EMBEDDER_NAME)
    version = client.create_model_version(EMBEDDER_NAME, "file:///nowhere", run_id=run.info.run_id)
    assert champion_version(uri, tmp_path, EMBEDDER_NAME) is None  # registered, not promoted
    client.set_registered_model_alias(EMBEDDER_NAME, CHAMPION, version.version)
    assert champion_version(uri, tmp_path, EMBEDDER_NAME) == str(version.version)
