"""A vector index split into shards by id, for when one index no longer fits one process.

A vector lives in shard `id mod n` (store rowids are sequential, so shards stay even). An
IVF index is trained once, on a sample of all vectors, and every shard is a copy of it: a
query probes the same cells in every shard as one index of all the vectors would, so
searching each shard for the top k (in parallel threads; FAISS releases the GIL) and
merging by score gives that index's results. Ties are ordered by id. `ShardedIndex` has
the interface of `VectorIndex`; `build_index` and `open_index` pick either by shard count.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import faiss
import numpy as np

from matching.index_files import folder_lock
from matching.vector_index import (
    IndexMeta,
    VectorIndex,
    filtered_nprobe,
    train_quantiser,
    tune_nprobe,
)

MISSING = -np.finfo(np.float32).max  # the score FAISS gives an empty inner-product slot


def shard_of(ids: np.ndarray, shards: int) -> np.ndarray:
    """The shard of each id."""
    return np.asarray(ids, dtype=np.int64) % shards


def shard_meta(meta: IndexMeta, i: int) -> IndexMeta:
    """Metadata of shard i: saved as `<kind>-<i>.faiss` beside the sharded index's meta."""
    return replace(meta, kind=f"{meta.kind}-{i}", shards=1, count=0)


def trained_template(meta: IndexMeta, vectors: np.ndarray) -> faiss.Index:
    """An empty index of `meta.spec`, its quantisers trained on (a sample of) the vectors."""
    index = faiss.index_factory(meta.dim, meta.spec, faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        train_quantiser(index, vectors)
    return index


def merge_top(scores: list[np.ndarray], ids: list[np.ndarray], k: int) -> tuple:
    """The k best (scores, ids) per row of several result sets: by score, then by id."""
    s, i = np.concatenate(scores, axis=1), np.concatenate(ids, axis=1)
    s = np.where(i < 0, -np.inf, s)  # empty slots last
    order = np.lexsort((np.where(i < 0, np.iinfo(np.int64).max, i), -s), axis=1)[:, :k]
    s, i = np.take_along_axis(s, order, 1), np.take_along_axis(i, order, 1)
    return np.where(i < 0, MISSING, s).astype(np.float32), i


class ShardedIndex:
    """`VectorIndex` shards of one kind searched as one index (thread-safe)."""

    def __init__(self, meta: IndexMeta, shards: list[VectorIndex], nprobe: int = 32) -> None:
        self.meta, self.shards = meta, shards
        self.meta.shards, self.meta.count = len(shards), sum(len(s) for s in shards)
        self.nprobe = meta.nprobe or nprobe
        self._lock = threading.RLock()
        self._pool = ThreadPoolExecutor(len(shards), thread_name_prefix=f"shard-{meta.kind}")

    @classmethod
    def build(
        cls,
        meta: IndexMeta,
        ids: np.ndarray,
        vectors: np.ndarray,
        shards: int,
        nprobe: int = 32,
        recall_target: float = 0.95,
    ) -> ShardedIndex:
        """A new index of these vectors in `shards` shards, filled in parallel, with
        `nprobe` tuned for `recall_target` as `VectorIndex.build` does."""
        template = trained_template(meta, vectors)
        parts = [
            VectorIndex(shard_meta(meta, i), faiss.clone_index(template)) for i in range(shards)
        ]
        index = cls(meta, parts, nprobe)
        index.add(ids, vectors)
        tune_nprobe(index, ids, vectors, recall_target)
        return index

    @property
    def nprobe(self) -> int:
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self._nprobe = value
        for shard in self.shards:
            shard.nprobe = value

    @property
    def nlist(self) -> int:
        return self.shards[0].nlist

    def _split(self, ids: np.ndarray) -> list[np.ndarray]:
        """Positions of `ids` in each shard."""
        of = shard_of(ids, len(self.shards))
        return [np.flatnonzero(of == i) for i in range(len(self.shards))]

    def _each(self, work) -> list:
        """work(i, shard) for every shard, in parallel."""
        return list(self._pool.map(work, range(len(self.shards)), self.shards))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ids (ids must not be present already)."""
        ids, vectors = np.asarray(ids, dtype=np.int64), np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.meta.dim):
            raise ValueError(f"expected {len(ids)} vectors of dim {self.meta.dim}")
        at = self._split(ids)
        with self._lock:
            self._each(lambda i, shard: shard.add(ids[at[i]], vectors[at[i]]))
            self.meta.count = len(self)

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids; returns how many were present."""
        ids = np.asarray(ids, dtype=np.int64)
        at = self._split(ids)
        with self._lock:
            removed = sum(self._each(lambda i, shard: shard.remove(ids[at[i]])))
            self.meta.count = len(self)
        return removed

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the vectors of ids (adding those not present)."""
        with self._lock:
            self.remove(ids)
            self.add(ids, vectors)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        among: np.ndarray | None = None,
        nprobe: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query as `VectorIndex.search` of all the vectors finds
        them: each shard probes the cells that one index would, then the results merge."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n = len(self)
        k = max(1, min(k, max(1, n)))
        if nprobe is None and self.nlist:
            eligible = n if among is None else len(among)
            nprobe = filtered_nprobe(self.nprobe, self.nlist, eligible, n)
        at = None if among is None else self._split(among)

        def one(i: int, shard: VectorIndex) -> tuple[np.ndarray, np.ndarray]:
            mine = None if at is None else np.asarray(among)[at[i]]
            return shard.search(queries, k, among=mine, nprobe=nprobe)

        found = self._each(one)
        return merge_top([s for s, _ in found], [i for _, i in found], k)

    def __len__(self) -> int:
        return sum(len(s) for s in self.shards)

    def nbytes(self) -> int:
        """Size of the serialised shards in bytes."""
        return sum(s.nbytes() for s in self.shards)

    def estimated_bytes(self) -> int:
        """Memory of the shards, estimated without serialising them."""
        return sum(s.estimated_bytes() for s in self.shards)

    def save(self, folder: Path) -> None:
        """Write every shard, then `<kind>.json` (atomically) naming how many there are."""
        with self._lock, folder_lock(folder, exclusive=True):
            for shard in self.shards:
                shard.save(folder)
            self.meta.count = len(self)
            base = folder / self.meta.kind
            tmp = base.with_suffix(f".json.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(asdict(self.meta), indent=2))
            os.replace(tmp, base.with_suffix(".json"))

    @classmethod
    def load(cls, folder: Path, meta: IndexMeta, nprobe: int = 32) -> ShardedIndex | None:
        """The saved shards of `meta`, or None when one is missing or they disagree with it."""
        shards = [VectorIndex.load(folder, f"{meta.kind}-{i}") for i in range(meta.shards)]
        if any(s is None for s in shards) or sum(len(s) for s in shards) != meta.count:
            return None  # e.g. a save interrupted between shards: rebuilt from the store
        return cls(meta, shards, nprobe)


def build_index(
    meta: IndexMeta,
    ids: np.ndarray,
    vectors: np.ndarray,
    shards: int = 1,
    nprobe: int = 32,
    recall_target: float = 0.95,
) -> VectorIndex | ShardedIndex:
    """One index of the vectors, or `shards` shards of them."""
    if shards > 1:
        return ShardedIndex.build(meta, ids, vectors, shards, nprobe, recall_target)
    return VectorIndex.build(meta, ids, vectors, nprobe, recall_target)


def open_index(folder: Path, kind: str, nprobe: int = 32) -> VectorIndex | ShardedIndex | None:
    """The saved index of a kind, sharded or not, or None when missing or unreadable."""
    with folder_lock(folder, exclusive=False):  # the meta and the shards it names, as one
        try:
            meta = IndexMeta(**json.loads((folder / f"{kind}.json").read_text()))
        except (OSError, ValueError, TypeError):
            return None
        if meta.shards > 1:
            return ShardedIndex.load(folder, meta, nprobe)
        return VectorIndex.load(folder, kind, nprobe)
