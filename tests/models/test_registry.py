"""The model registry: reading a data directory's champion never creates its tracking store."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import models.registry
from models.registry import (
    CHAMPION,
    EMBEDDER_NAME,
    EXPERIMENT,
    MODEL_NAME,
    RISK_NAME,
    champion_version,
    configure,
    create_store_in_background,
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


def test_registry_calls_wait_for_the_store_a_thread_is_creating(tmp_path: Path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    release, created = threading.Event(), threading.Event()
    real = models.registry._configure

    def slow_configure(*args):
        release.wait(30)
        mlflow = real(*args)
        created.set()
        return mlflow

    monkeypatch.setattr(models.registry, "_configure", slow_configure)
    creating = create_store_in_background(uri, tmp_path)
    try:
        assert creating is not None and creating.is_alive()
        assert create_store_in_background(uri, tmp_path) is None  # one thread per store
        answers: list[str | None] = []
        reader = threading.Thread(target=lambda: answers.append(champion_version(uri, tmp_path)))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive() and not answers  # waiting, not racing the migrations
    finally:
        release.set()
    reader.join(60)
    creating.join(60)
    assert created.is_set() and answers == [None]
    monkeypatch.setattr(models.registry, "_configure", real)
    assert configure(uri, tmp_path).get_experiment_by_name(EXPERIMENT) is not None
    assert create_store_in_background(uri, tmp_path) is None  # it exists now


def test_a_store_the_thread_failed_to_create_is_created_by_the_next_call(
    tmp_path: Path, monkeypatch, caplog
):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    real = models.registry._configure

    def failing(*args):
        raise OSError(f"disk full at {tmp_path}")

    monkeypatch.setattr(models.registry, "_configure", failing)
    create_store_in_background(uri, tmp_path).join(30)
    assert "OSError" in caplog.text and str(tmp_path) not in caplog.text
    monkeypatch.setattr(models.registry, "_configure", real)
    assert champion_version(uri, tmp_path) is None
    assert configure(uri, tmp_path).get_experiment_by_name(EXPERIMENT) is not None


def test_two_stores_created_at_once_both_finish_and_calls_wait_for_both(
    tmp_path: Path, monkeypatch
):
    """MLflow's tracking URI is one per process: a call waits for every creation."""
    release = threading.Event()
    real = models.registry._configure

    def slow_configure(*args):
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(models.registry, "_configure", slow_configure)
    homes = [tmp_path / "a", tmp_path / "b"]
    uris = [f"sqlite:///{home / 'mlflow.db'}" for home in homes]
    try:
        threads = [create_store_in_background(u, h) for u, h in zip(uris, homes, strict=True)]
        assert all(t is not None and t.is_alive() for t in threads)
        reader = threading.Thread(target=champion_version, args=(uris[0], homes[0]))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive()
    finally:
        release.set()
    for thread in [*threads, reader]:
        thread.join(60)
        assert not thread.is_alive()
    assert all((home / "mlflow.db").is_file() for home in homes)
