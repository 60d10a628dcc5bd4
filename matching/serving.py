"""What the service serves with: one embedder, the indexes of its vectors, its occupation index.

A query takes one `Serving` snapshot and uses it throughout, so a shortlist never mixes the
vectors of two models. Switching embedders builds a complete new snapshot beside the served
one (vectors, indexes, occupation index) and swaps it in with one assignment.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, fields

from matching.config import Settings
from matching.embedders import EmbedderRef
from matching.indexing import Indexer
from matching.occupations import OccupationIndex
from matching.store import Store
from models.embedder import Embedder, model_slug


class Serving:
    """An embedder with the indexes of its vectors (own folder) and its occupation index."""

    def __init__(self, ref: EmbedderRef, embedder: Embedder, store: Store, settings: Settings):
        self.ref, self.embedder = ref, embedder
        self.indexer = Indexer(
            store,
            embedder,
            settings.indexes_dir / model_slug(embedder.model_id),
            exact_max=settings.exact_index_max,
            nprobe=settings.ann_nprobe,
            spec=settings.index_spec,
            recall_target=settings.ann_recall_target,
            shards=settings.index_shards,
        )
        self._cache_dir = settings.cache_dir
        self._occupations: OccupationIndex | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def occupations(self) -> OccupationIndex:
        """Title -> ESCO occupation normaliser of this embedder (built on first use)."""
        with self._lock:
            if self._occupations is None:
                self._occupations = OccupationIndex(self.embedder, self._cache_dir)
            return self._occupations


class ServingSlot:
    """The snapshot that serves now: read it once per operation; a switch swaps it whole."""

    def __init__(self, serving: Serving) -> None:
        self._serving = serving

    @property
    def current(self) -> Serving:
        return self._serving

    def swap(self, new: Serving) -> Serving:
        """Serve `new` from now on; returns the snapshot it replaces."""
        old, self._serving = self._serving, new
        return old


@dataclass
class SwitchStatus:
    """Progress of a switch to another embedder (shown by `/health` and `/v1/embedder`)."""

    state: str = "idle"  # idle | running | done | failed
    stage: str = ""
    version: str | None = None
    model_id: str | None = None
    done: int = 0
    total: int = 0
    embedded: int = 0  # texts embedded by this switch (0 for a rollback that only catches up)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def begin(self, ref: EmbedderRef) -> None:
        with self._lock:
            self.state, self.stage, self.error = "running", "starting", None
            self.version, self.model_id = ref.version, ref.model_id
            self.done = self.total = self.embedded = 0
            self.started_at, self.finished_at = time.time(), None

    def at(self, stage: str, total: int = 0) -> None:
        with self._lock:
            self.stage, self.done, self.total = stage, 0, total

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            self.embedded += n

    def end(self, error: str | None = None) -> None:
        with self._lock:
            self.state = "failed" if error else "done"
            self.stage, self.error, self.finished_at = "", error, time.time()

    @property
    def running(self) -> bool:
        return self.state == "running"

    def as_dict(self) -> dict[str, object]:
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}
