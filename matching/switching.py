"""Switching the served embedder safely: build beside the served one, then swap atomically.

Vectors of every model live side by side in the store (keyed by model id) and each model has
its own index folder, so the new embedder's vectors, indexes and occupation index are built
while the old one keeps serving. The switcher then catches up with the writes made meanwhile
and swaps the serving slot under the service's write lock. The previous model's vectors
and indexes are kept, so a rollback only catches up; older models' vectors and indexes
are dropped.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable

from matching.config import Settings
from matching.embedders import EmbedderRef, load_embedder, record_serving, target_embedder
from matching.errors import SwitchInProgressError
from matching.occupations import inferred_occupations
from matching.records import Kind, Occupation
from matching.serving import Serving, ServingSlot, SwitchStatus
from matching.store import Store
from models.embedder import model_slug

log = logging.getLogger("werkmatch")

BATCH = 5000


class EmbedderSwitcher:
    """Runs one embedder switch at a time, in the foreground or a thread.

    It is handed what a switch touches: the store, the service's write lock, the serving
    slot it swaps, and `on_swap`, called right after a swap under the write lock (the labour
    market's occupations changed with it). `on_switched` is called after a switch that
    swapped, outside the lock, in the switch's thread (the service retrains a ranker that
    was trained on the old model's similarities there).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        writes: threading.RLock,
        slot: ServingSlot,
        on_swap: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings, self.store, self.writes, self.slot = settings, store, writes, slot
        self.on_swap = on_swap
        self.on_switched: Callable[[], None] = lambda: None
        self.status = SwitchStatus()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def follow_target(self, background: bool = False, progress: bool = False) -> SwitchStatus:
        """Switch to the registry's target embedder (champion, else base) unless it serves
        or the settings pin the served one."""
        if not self.settings.follow_embedder_champion:
            return self.status
        ref = target_embedder(self.settings)
        if ref.model_id == self.slot.current.model_id:
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
        st = self.status
        try:
            if ref.model_id != self.slot.current.model_id:
                new = Serving(ref, load_embedder(self.settings, ref=ref), self.store, self.settings)
                since = {kind: self.store.changes.revision(kind) for kind in Kind}
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
                old = self._swap(new, occupations, since)
                self._prune(keep={new.model_id, old.model_id})
                log.info(
                    "serving embedder %s (%s), was %s", ref.version, new.model_id, old.model_id
                )
                self._after_switch()
            st.end()
        except Exception as exc:
            st.end(error=f"{type(exc).__name__}: {exc}")
            log.error("embedder switch to %s failed: %s", ref.model_id, st.error)
            if raise_errors:
                raise

    def _after_switch(self) -> None:
        """Run `on_switched`; its failure is logged and leaves the new embedder serving."""
        self.status.at("after switch")
        try:
            self.on_switched()
        except Exception as exc:
            log.error("after the embedder switch: %s", type(exc).__name__)

    def _swap(
        self,
        new: Serving,
        occupations: dict[Kind, dict[str, Occupation]],
        since: dict[Kind, int],
    ) -> Serving:
        """Serve `new` from now on, with the occupations it infers; returns the old snapshot.

        Under the write lock: records written since the revisions `since` (when the switch
        began) are embedded, indexed and normalised by `new` before it serves.
        """
        with self.writes:
            for kind in Kind:
                new.indexer.catch_up(kind)
                changed = self.store.changes.records_since(kind, since[kind])
                written = list(self.store.by_rowids(kind, changed).items())
                values = {
                    **occupations.get(kind, {}),
                    **changed_occupations(self.store, new, kind, written),
                }
                self.store.set_occupations(kind, values)
            old = self.slot.swap(new)
            self.on_swap()
            record_serving(self.settings, new.ref)
        return old

    def _occupations(self, new: Serving, kind: Kind) -> dict[str, Occupation]:
        """Occupations the new embedder infers for records without a given ESCO URI, where
        they differ from the stored ones."""
        out: dict[str, Occupation] = {}
        batch: list[tuple[int, object]] = []
        for item in self.store.iter_records(kind, batch=BATCH):
            batch.append(item)
            if len(batch) >= BATCH:
                out.update(changed_occupations(self.store, new, kind, batch))
                batch = []
        out.update(changed_occupations(self.store, new, kind, batch))
        return out

    def _prune(self, keep: set[str]) -> None:
        """Drop the vectors and indexes of models other than `keep` (new and previous)."""
        for model_id in self.store.vectors.models():
            if model_id not in keep:
                dropped = self.store.vectors.drop_model(model_id)
                shutil.rmtree(self.settings.indexes_dir / model_slug(model_id), ignore_errors=True)
                log.info("dropped %d vectors of embedder %s", dropped, model_id)


def changed_occupations(
    store: Store, new: Serving, kind: Kind, items: list[tuple[int, object]]
) -> dict[str, Occupation]:
    """Of (rowid, record) items, the inferred occupations that differ from the stored ones."""
    if not items:
        return {}
    inferred = inferred_occupations([r for _, r in items], new.occupations)
    stored = store.occupations(kind, [rowid for rowid, _ in items])
    return {
        r.id: inferred[r.id]
        for rowid, r in items
        if r.id in inferred and stored.get(rowid) != inferred[r.id]
    }
