"""FAISS vector index behind a narrow interface: add, remove, search, count, save, load.

Ids are the store's integer rowids. Exact inner-product search below a configurable size,
an IVF index with 8-bit scalar quantisation above it (it supports removal, HNSW does not).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

EXACT = "IDMap2,Flat"


def choose_spec(n: int, exact_max: int) -> str:
    """FAISS factory string for n vectors: exact up to `exact_max`, IVF-SQ8 above."""
    if n <= exact_max:
        return EXACT
    # ~4 sqrt(n) cells, but at least 39 training points per cell (FAISS's own minimum).
    nlist = int(max(1, min(65536, 4 * math.sqrt(n), n // 39)))
    return f"IVF{nlist},SQ8"


@dataclass
class IndexMeta:
    """Build metadata saved next to every index file."""

    kind: str
    model_id: str
    spec: str
    dim: int
    revision: int
    count: int = 0
    built_at: float = field(default_factory=time.time)
    faiss_version: str = faiss.__version__


class VectorIndex:
    """A FAISS index of unit vectors keyed by int64 ids (thread-safe)."""

    def __init__(self, meta: IndexMeta, index: faiss.Index | None = None, nprobe: int = 32) -> None:
        self.meta = meta
        self._lock = threading.RLock()
        self._index = index or faiss.index_factory(meta.dim, meta.spec, faiss.METRIC_INNER_PRODUCT)
        self.nprobe = nprobe

    @classmethod
    def build(
        cls, meta: IndexMeta, ids: np.ndarray, vectors: np.ndarray, nprobe: int = 32
    ) -> VectorIndex:
        """A new index of these vectors (trains IVF quantisers on them when needed)."""
        index = cls(meta, nprobe=nprobe)
        if not index._index.is_trained:
            if len(vectors) == 0:
                raise ValueError(f"cannot train {meta.spec} without vectors")
            sample = vectors
            if len(vectors) > 100_000:
                rng = np.random.default_rng(0)
                sample = vectors[rng.choice(len(vectors), 100_000, replace=False)]
            index._index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.add(ids, vectors)
        return index

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ids (ids must not be present already)."""
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.meta.dim):
            raise ValueError(
                f"expected {len(ids)} vectors of dim {self.meta.dim}, got {vectors.shape}"
            )
        with self._lock:
            self._index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
            self.meta.count = int(self._index.ntotal)

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids; returns how many were present."""
        if len(ids) == 0:
            return 0
        with self._lock:
            removed = self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            self.meta.count = int(self._index.ntotal)
        return int(removed)

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the vectors of ids (adding those not present)."""
        with self._lock:
            self.remove(ids)
            self.add(ids, vectors)

    def search(
        self, queries: np.ndarray, k: int, among: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query, optionally only among the ids `among`.

        Missing slots have id -1. With `among`, IVF probes more cells the smaller the
        eligible share, so that a sparse selection still finds its nearest members.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        with self._lock:
            n = self._index.ntotal
            k = max(1, min(k, max(1, n)))
            if among is None:
                params = None
                if hasattr(self._index, "nprobe"):
                    params = faiss.SearchParametersIVF(nprobe=self.nprobe)
                return self._index.search(queries, k, params=params)
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(among, dtype=np.int64))
            if hasattr(self._index, "nlist"):
                share = max(len(among) / max(n, 1), 1e-6)
                nprobe = int(min(self._index.nlist, self.nprobe / min(1.0, share * 4)))
                params = faiss.SearchParametersIVF(sel=selector, nprobe=max(self.nprobe, nprobe))
            else:
                params = faiss.SearchParameters(sel=selector)
            return self._index.search(queries, k, params=params)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def nbytes(self) -> int:
        """Size of the serialised index in bytes."""
        with self._lock:
            return int(faiss.serialize_index(self._index).nbytes)

    def save(self, folder: Path) -> None:
        """Write `<kind>.faiss` and `<kind>.json` atomically into folder."""
        folder.mkdir(parents=True, exist_ok=True)
        base = folder / self.meta.kind
        with self._lock:
            tmp = base.with_suffix(".faiss.tmp")
            faiss.write_index(self._index, str(tmp))
            os.replace(tmp, base.with_suffix(".faiss"))
            tmp_meta = base.with_suffix(".json.tmp")
            tmp_meta.write_text(json.dumps(asdict(self.meta), indent=2))
            os.replace(tmp_meta, base.with_suffix(".json"))

    @classmethod
    def load(cls, folder: Path, kind: str, nprobe: int = 32) -> VectorIndex | None:
        """The saved index of a kind, or None when missing or unreadable."""
        base = folder / kind
        try:
            meta = IndexMeta(**json.loads(base.with_suffix(".json").read_text()))
            index = faiss.read_index(str(base.with_suffix(".faiss")))
        except (OSError, ValueError, TypeError, RuntimeError):
            return None
        if index.ntotal != meta.count:
            return None
        return cls(meta, index, nprobe=nprobe)
