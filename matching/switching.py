"""Switching the served embedder safely: build beside the served one, then swap atomically.

Vectors of every model live side by side in the store (keyed by model id) and each model has
its own index folder, so the new embedder's vectors, indexes and occupation index are built
while the old one keeps serving. The Matcher then catches up with the writes made meanwhile
and swaps under its write lock. The previous model's vectors and indexes are kept, so a
rollback only catches up; older models' vectors and indexes are dropped.
"""

from __future__ import annotations

import logging
import shutil
import threading
from typing import TYPE_CHECKING

from matching.embedders import EmbedderRef, load_embedder, target_embedder
from matching.occupations import Occupied, inferred_occupations
from matching.serving import Serving, SwitchStatus
from matching.store import Kind
from models.embedder import model_slug

if TYPE_CHECKING:
    from matching.service import Matcher

log = logging.getLogger("werkmatch")

BATCH = 5000


class SwitchInProgressError(RuntimeError):
    """Another switch is running."""


class EmbedderSwitcher:
    """Runs one embedder switch at a time for a Matcher, in the foreground or a thread."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.status = SwitchStatus()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def follow_target(self, background: bool = False, progress: bool = False) -> SwitchStatus:
        """Switch to the registry's target embedder (champion, else base) unless it serves
        or the settings pin the served one."""
        if not self.matcher.settings.follow_embedder_champion:
            return self.status
        ref = target_embedder(self.matcher.settings)
        if ref.model_id == self.matcher.serving.model_id:
            return self.status
        return self.start(ref) if background else self.switch(ref, progress)

    def switch(self, ref: EmbedderRef, progress: bool = True) -> SwitchStatus:
        """Switch now; raises when it fails (the old embedder keeps serving)."""
        self._begin(ref)
        self._run(ref, progress, raise_errors=True)
        return self.status

    def start(self, ref: EmbedderRef) -> SwitchStatus:
        """Switch in a background thread; follow it in `status`."""
        self._begin(ref)
        self._thread = threading.Thread(
            target=self._run, args=(ref, False), name="embedder-switch", daemon=True
        )
        self._thread.start()
        return self.status

    def wait(self, timeout: float | None = None) -> SwitchStatus:
        """Wait for a background switch to end."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status

    def _begin(self, ref: EmbedderRef) -> None:
        with self._lock:
            if self.status.running:
                raise SwitchInProgressError(
                    f"a switch to {self.status.model_id} is running ({self.status.stage})"
                )
            self.status.begin(ref)

    def _run(self, ref: EmbedderRef, progress: bool, raise_errors: bool = False) -> None:
        m, st = self.matcher, self.status
        try:
            if ref.model_id != m.serving.model_id:
                new = Serving(ref, load_embedder(m.settings, ref=ref), m.store, m.settings)
                since = {kind: m.store.revision(kind) for kind in Kind}
                for kind in Kind:
                    new.indexer.embed_pending(
                        kind,
                        progress=progress,
                        on_start=lambda n, k=kind: st.at(f"embedding {k.value}", n),
                        on_batch=st.advance,
                    )
                st.at("indexing")
                for kind in Kind:
                    new.indexer.index(kind)
                st.at("occupations")
                occupations = {kind: self._occupations(new, kind) for kind in Kind}
                st.at("swapping")
                old = m.swap(new, occupations, since)
                self._prune(keep={new.model_id, old.model_id})
                log.info(
                    "serving embedder %s (%s), was %s", ref.version, new.model_id, old.model_id
                )
            st.end()
        except Exception as exc:
            st.end(error=f"{type(exc).__name__}: {exc}")
            log.error("embedder switch to %s failed: %s", ref.model_id, st.error)
            if raise_errors:
                raise

    def _occupations(self, new: Serving, kind: Kind) -> dict[str, Occupied]:
        """Occupations the new embedder infers for records without a given ESCO URI, where
        they differ from the stored ones."""
        out: dict[str, Occupied] = {}
        batch: list[tuple[int, object]] = []
        for item in self.matcher.store.iter_records(kind, batch=BATCH):
            batch.append(item)
            if len(batch) >= BATCH:
                out.update(changed_occupations(self.matcher, new, kind, batch))
                batch = []
        out.update(changed_occupations(self.matcher, new, kind, batch))
        return out

    def _prune(self, keep: set[str]) -> None:
        """Drop the vectors and indexes of models other than `keep` (new and previous)."""
        m = self.matcher
        for model_id in m.store.embedding_models():
            if model_id not in keep:
                dropped = m.store.delete_embeddings(model_id)
                shutil.rmtree(m.settings.indexes_dir / model_slug(model_id), ignore_errors=True)
                log.info("dropped %d vectors of embedder %s", dropped, model_id)


def changed_occupations(
    matcher: Matcher, new: Serving, kind: Kind, items: list[tuple[int, object]]
) -> dict[str, Occupied]:
    """Of (rowid, record) items, the inferred occupations that differ from the stored ones."""
    if not items:
        return {}
    inferred = inferred_occupations([r for _, r in items], new.occupations)
    stored = matcher.store.occupations(kind, [rowid for rowid, _ in items])
    return {
        r.id: inferred[r.id]
        for rowid, r in items
        if r.id in inferred and stored.get(rowid) != inferred[r.id]
    }
