"""Keeps the vector indexes and candidate tables in step with the store.

The store is the source of truth. Every write bumps a per-kind revision and stamps the rows
it touched (deletions leave tombstones), so each index remembers the revision it reflects
and applies only what changed since; a missing or foreign index is rebuilt from the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from matching.candidates import CandidateTable
from matching.records import Kind
from matching.sharded_index import ShardedIndex, build_index, open_index
from matching.store import Store
from matching.texts import text_hash
from matching.vector_index import IndexMeta, VectorIndex, choose_spec
from models.embedder import Embedder

log = logging.getLogger("werkmatch")

PAGE = 8192  # pending records read per query while embedding
SAVE_ROWS = 1000  # save an index after this many changed rows (or 5% of its size) ...
SAVE_SECONDS = 300.0  # ... or this long after the last save


class Indexer:
    """Embeds records of the store; keeps a vector index and candidate table per kind."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        folder: Path,
        exact_max: int = 50_000,
        nprobe: int = 32,
        chunk: int = 256,
        spec: str | None = None,
        recall_target: float = 0.95,
        shards: int = 1,
    ) -> None:
        self.store, self.embedder, self.folder = store, embedder, folder
        self.exact_max, self.nprobe, self.chunk = exact_max, nprobe, chunk
        self.spec, self.recall_target, self.shards = spec, recall_target, shards
        self._indexes: dict[Kind, VectorIndex | ShardedIndex] = {}
        self._tables: dict[Kind, CandidateTable] = {}
        self._unsaved: dict[Kind, int] = {}
        self._saved_at: dict[Kind, float] = {}
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- embedding
    def embed_pending(
        self,
        kind: Kind,
        progress: bool = True,
        on_start: Callable[[int], None] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Embed every record whose text has no current vector, page by page in rowid order.

        Each chunk is committed on its own, so an interrupted run resumes where it stopped.
        `on_start(total)` and `on_batch(n)` report progress (e.g. of an embedder switch).
        """
        model_id = self.embedder.model_id
        total = self.store.vectors.count_pending(kind, model_id)
        if on_start:
            on_start(total)
        if not total:
            return 0
        bar = tqdm(total=total, desc=f"embedding {kind.value}", unit="text", disable=not progress)
        done, after = 0, 0
        while page := self.store.vectors.pending_texts(kind, model_id, limit=PAGE, after=after):
            for i in range(0, len(page), self.chunk):
                part = page[i : i + self.chunk]
                vectors = self.embedder.encode([t for _, _, t in part], "passage")
                self.store.vectors.put(kind, model_id, [(r, h) for r, h, _ in part], vectors)
                bar.update(len(part))
                if on_batch:
                    on_batch(len(part))
            done += len(page)
            after = page[-1][0]
        bar.close()
        return done

    def catch_up(
        self,
        kind: Kind,
        progress: bool = False,
        on_start: Callable[[int], None] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Embed what is pending, then apply the store's changes to the index and table:
        what every write does before it returns. Returns how many texts were embedded."""
        embedded = self.embed_pending(kind, progress, on_start, on_batch)
        self.sync(kind)
        return embedded

    def query_vector(self, kind: Kind, rowid: int, text: str) -> np.ndarray:
        """The `query:` embedding of a record's text, cached in the store by text hash."""
        return self.query_vectors(kind, [rowid], [text])[0]

    def query_vectors(self, kind: Kind, rowids: list[int], texts: list[str]) -> np.ndarray:
        """The `query:` embeddings of records' texts, one row per rowid: those stored read in
        one statement, the others encoded in one batch and stored in one transaction
        (training asks for thousands: one at a time, each cost an encode call and a commit)."""
        if not rowids:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        model_id = self.embedder.model_id
        ids, vecs = self.store.vectors.load(kind, model_id, prompt="query", rowids=rowids)
        found = dict(zip(ids.tolist(), vecs, strict=True))
        missing = list({r: i for i, r in enumerate(rowids) if r not in found}.values())
        if missing:
            new = self.embedder.encode([texts[i] for i in missing], "query")
            items = [(rowids[i], text_hash(texts[i])) for i in missing]
            self.store.vectors.put(kind, model_id, items, new, "query")
            found.update(zip((r for r, _ in items), new, strict=True))
        return np.stack([found[r] for r in rowids])

    # ------------------------------------------------------------------ indexes
    def revision(self, kind: Kind) -> int | None:
        """The revision the kind's index reflects (None before it is opened), without a sync."""
        index = self._indexes.get(kind)
        return None if index is None else index.meta.revision

    def index(self, kind: Kind) -> VectorIndex | ShardedIndex:
        """The vector index of a kind, synced with the store."""
        with self._lock:
            self.sync(kind)
            return self._indexes[kind]

    def table(self, kind: Kind) -> CandidateTable:
        """The candidate table of a kind, synced with the store."""
        with self._lock:
            self.sync(kind)
            return self._tables[kind]

    def sync(self, kind: Kind) -> int:
        """Apply the store's changes since the index's revision; returns rows touched."""
        with self._lock:
            if kind not in self._indexes:
                self._open(kind)
            index = self._indexes[kind]
            revision = self.store.changes.revision(kind)
            if revision == index.meta.revision:
                return 0
            changed, deleted = self.store.changes.since(
                kind, index.meta.revision, self.embedder.model_id
            )
            stale = np.fromiter(changed | deleted, dtype=np.int64)
            if self._needs_rebuild(index, len(index) + len(changed)):
                self._rebuild(kind, revision)
                return len(stale)
            index.remove(stale)
            ids, vectors = self.store.vectors.load(
                kind, self.embedder.model_id, rowids=sorted(changed)
            )
            index.add(ids, vectors)
            table = self._tables[kind]
            table.remove(stale)
            table.upsert(self.store.attributes(kind, sorted(changed)))
            index.meta.revision = revision
            self._unsaved[kind] = self._unsaved.get(kind, 0) + len(stale)
            if self._unsaved[kind] >= max(SAVE_ROWS, len(index) // 20) or (
                time.monotonic() - self._saved_at.get(kind, 0.0) >= SAVE_SECONDS
            ):
                self._save(kind)
            return len(stale)

    def persist(self, kind: Kind) -> None:
        """Apply the store's changes and save the index now (an erasure must not wait for
        the next checkpoint: the saved file would still hold the person's vector)."""
        with self._lock:
            self.sync(kind)
            self._save(kind)

    def flush(self) -> None:
        """Write every index with unsaved changes (on shutdown and after bulk work)."""
        with self._lock:
            for kind in list(self._indexes):
                if self._unsaved.get(kind):
                    self._save(kind)

    def _save(self, kind: Kind) -> None:
        """A saved index is a checkpoint: a stale one catches up from the store's revisions."""
        self._indexes[kind].save(self.folder)
        self._unsaved[kind], self._saved_at[kind] = 0, time.monotonic()

    def _needs_rebuild(self, index: VectorIndex | ShardedIndex, n: int) -> bool:
        """Rebuild when the right index type changed (grown past exact, or far past IVF)."""
        wanted = choose_spec(n, self.exact_max, self.spec)
        if wanted == index.meta.spec:
            return False
        return index.meta.spec == "IDMap2,Flat" or n > 4 * max(index.meta.count, 1)

    def _open(self, kind: Kind) -> None:
        loaded = open_index(self.folder, kind.value, nprobe=self.nprobe)
        foreign = loaded is not None and loaded.meta.model_id != self.embedder.model_id
        if loaded is None or foreign or loaded.meta.shards != self.shards:
            self._rebuild(kind, self.store.changes.revision(kind))
            return
        self._indexes[kind] = loaded
        table = CandidateTable()
        table.upsert(self.store.attributes(kind))
        self._tables[kind] = table
        # Rows written after the saved revision are applied by the next sync.

    def _rebuild(self, kind: Kind, revision: int) -> None:
        model_id = self.embedder.model_id
        ids, vectors = self.store.vectors.load(kind, model_id)
        spec = choose_spec(len(ids), self.exact_max, self.spec)
        meta = IndexMeta(
            kind=kind.value, model_id=model_id, spec=spec, dim=self.embedder.dim, revision=revision
        )
        log.info("building %s index of %d %s (%d shards)", spec, len(ids), kind.value, self.shards)
        self._indexes[kind] = build_index(
            meta, ids, vectors, self.shards, nprobe=self.nprobe, recall_target=self.recall_target
        )
        table = CandidateTable()
        table.upsert(self.store.attributes(kind))
        self._tables[kind] = table
        self._save(kind)


def remove_from_saved(root: Path, kind: Kind, rowids: list[int], skip: Path) -> int:
    """Remove rowids from the saved indexes of every other model under `root` (the previous
    embedder's, kept for rollback); returns how many index files were rewritten."""
    rewritten = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p != skip):
        index = open_index(folder, kind.value)
        if index is None:
            continue
        index.remove(np.asarray(rowids, dtype=np.int64))
        index.save(folder)
        rewritten += 1
    return rewritten
