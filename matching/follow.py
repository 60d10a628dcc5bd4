"""Several replicas on one database: each `werkmatch serve` runs a Follower that applies the
other replicas' writes to its own in-memory indexes and picks up their model changes.

Every `follow_seconds` it reads the per-kind revisions (one indexed query per kind) and,
when one moved, syncs that kind's index and candidate table from the change log (upserts
and erasures alike; `matching.changes`); after a deletion it saves the index at once, so
an erased person's vector lingers in no saved index of this replica either. Every
`registry_seconds` it re-reads the model registry: a ranker promoted on any replica (or
with `werkmatch promote`) is loaded, and a new champion embedder is switched to in the
background as on `POST /v1/embedder/reload`.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import func, select

from matching.records import Kind
from matching.schema import tombstones

log = logging.getLogger("werkmatch")


class Follower:
    """A background thread keeping one replica in step with the shared database."""

    def __init__(self, matcher, follow_seconds: float, registry_seconds: float) -> None:
        self.matcher = matcher
        self.follow_seconds = follow_seconds
        self.registry_seconds = registry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Follower:
        self._thread = threading.Thread(target=self._loop, name="follower", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        next_registry = time.monotonic() + self.registry_seconds
        while not self._stop.wait(self.follow_seconds):
            try:
                self.follow_writes()
                if time.monotonic() >= next_registry:
                    next_registry = time.monotonic() + self.registry_seconds
                    self.follow_registry()
            except Exception as exc:  # keep following; the type only (messages carry SQL)
                log.warning("follower: %s", type(exc).__name__)

    def follow_writes(self) -> int:
        """Apply the writes made since the indexes' revisions; returns rows touched."""
        indexer = self.matcher.serving.indexer
        store, touched = self.matcher.store, 0
        for kind in Kind:
            before = indexer.revision(kind)
            if before is None or store.changes.revision(kind) == before:
                continue  # an index not opened yet is built fresh when first asked
            touched += indexer.sync(kind)
            if _deletions_since(store.engine, kind, before):
                indexer.persist(kind)
        return touched

    def follow_registry(self) -> None:
        """Load a newly promoted ranker (a reload keeps the served one while it is the
        champion: the same version of the same run); switch to a newly promoted embedder."""
        self.matcher.reload_ranker()
        switcher = self.matcher.switcher
        if not switcher.status.running:
            switcher.follow_target(background=True)


def _deletions_since(engine, kind: Kind, rev: int) -> int:
    """How many rows of a kind were deleted after revision `rev`."""
    stmt = select(func.count()).where(tombstones.c.kind == kind.value, tombstones.c.rev > rev)
    with engine.connect() as conn:
        return conn.execute(stmt.select_from(tombstones)).scalar_one()
