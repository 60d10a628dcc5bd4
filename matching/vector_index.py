"""FAISS vector index behind a narrow interface: add, remove, search, count, save, load.

Ids are the store's integer rowids. Exact inner-product search below a configurable size,
an IVF index with fp16 scalar codes above it (`choose_spec`: ~790 bytes per profile at 384
dimensions; 8-bit codes capped recall near 0.95), removal supported (HNSW has none), and a
filtered search that stays exact-like when the filter is selective. `nprobe` is tuned at
build time for a recall target against exact search and kept in the build metadata; a
filtered search probes proportionally more cells.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import faiss
import numpy as np

from matching.index_files import folder_lock

if TYPE_CHECKING:
    from matching.sharded_index import ShardedIndex

EXACT = "IDMap2,Flat"
# Index types that can delete vectors (the index follows the store's deletions).
SUPPORTED_SPEC = re.compile(r"^(IDMap2,Flat|IVF\d+,(Flat|SQ8|SQfp16|SQ4|PQ\d+(x\d+)?))$")
TUNE_QUERIES = 200
TUNE_K = 100
NPROBES = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def choose_spec(n: int, exact_max: int, override: str | None = None) -> str:
    """FAISS factory string for n vectors: exact up to `exact_max`, IVF with fp16 codes above.

    fp16 codes (2 bytes a dimension) keep recall@100 near that of exact search at a few
    probed cells; 8-bit codes save half the memory but cap recall near 0.95 (measured in
    docs/results.md), so a filtered search has to scan far more cells to reach it.

    `override` (config `WERKMATCH_INDEX_SPEC`) replaces the choice above `exact_max`.
    """
    if n <= exact_max:
        return EXACT
    if override:
        return override
    return f"IVF{ivf_cells(n)},SQfp16"


def ivf_cells(n: int) -> int:
    """IVF cells for n vectors: ~4 sqrt(n), but at least 39 training points per cell
    (FAISS's own minimum)."""
    return int(max(1, min(65536, 4 * math.sqrt(n), n // 39)))


def train_quantiser(index: faiss.Index, vectors: np.ndarray, sample: int = 100_000) -> None:
    """Train an index's quantisers on at most `sample` of the vectors (seeded choice).

    Product quantisers skip FAISS's polysemous training (an annealing of the codebook order
    for Hamming pre-filtering, which no search here uses): 40 s of every IVF-PQ build, at
    400 vectors as at a million."""
    if len(vectors) == 0:
        raise ValueError("cannot train an index without vectors")
    ivf = faiss.try_extract_index_ivf(index)
    inner = faiss.downcast_index(ivf if ivf is not None else index)
    if hasattr(inner, "do_polysemous_training"):
        inner.do_polysemous_training = False
    if len(vectors) > sample:
        vectors = vectors[np.random.default_rng(0).choice(len(vectors), sample, replace=False)]
    index.train(np.ascontiguousarray(vectors, dtype=np.float32))


def ann_recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the ids in `truth` (row by row) that the same row of `found` contains."""
    hits = [
        len(set(f[f >= 0].tolist()) & set(t[t >= 0].tolist()))
        for f, t in zip(found, truth, strict=True)
    ]
    return float(np.sum(hits) / max(int((truth >= 0).sum()), 1))


def _without_own(found: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Each row of `found` without the id `own[row]`, cut to one column fewer."""
    keep = found != own[:, None]
    keep[keep.all(axis=1), -1] = False  # own id not found: drop the last instead
    return found[keep].reshape(len(found), found.shape[1] - 1)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best inner products of each query among `vectors` (brute force)."""
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return flat.search(np.ascontiguousarray(queries, dtype=np.float32), k)[1]


def filtered_nprobe(nprobe: int, nlist: int, eligible: int, n: int) -> int:
    """Cells to probe when `eligible` of `n` vectors may be found: `nprobe / share`."""
    share = eligible / max(n, 1)
    return int(min(nlist, math.ceil(nprobe / max(share, 1e-9))))


def tune_nprobe(
    index: VectorIndex | ShardedIndex,
    ids: np.ndarray,
    vectors: np.ndarray,
    target: float,
    rng: np.random.Generator | None = None,
) -> None:
    """Set an IVF index's smallest `nprobe` whose recall@100 reaches `target`, with a
    sample of the stored vectors as queries (each query's own id left out of what it finds
    and of the truth): queries from where the data is, as real ones are. Perturbing them
    instead made every query an outlier and asked for 256 probes where 8 do."""
    if not index.nlist or len(ids) <= TUNE_K:
        return
    rng = rng or np.random.default_rng(0)
    ids = np.asarray(ids)
    picked = rng.choice(len(vectors), min(TUNE_QUERIES, len(vectors)), replace=False)
    queries = np.ascontiguousarray(vectors[picked], dtype=np.float32)
    own = ids[picked]
    truth = _without_own(ids[exact_top(vectors, queries, TUNE_K + 1)], own)
    for nprobe in (p for p in NPROBES if p <= index.nlist):
        _, found = index.search(queries, TUNE_K + 1, nprobe=nprobe)
        recall = ann_recall(_without_own(found, own), truth)
        index.meta.nprobe, index.meta.recall = nprobe, recall
        if recall >= target:
            break
    index.nprobe = index.meta.nprobe


@dataclass
class IndexMeta:
    """Build metadata saved next to every index file."""

    kind: str
    model_id: str
    spec: str
    dim: int
    revision: int
    count: int = 0
    nprobe: int | None = None  # tuned at build for `recall` at 100 against exact search
    recall: float | None = None
    shards: int = 1  # above 1: a ShardedIndex (matching/sharded_index.py)
    built_at: float = field(default_factory=time.time)
    faiss_version: str = faiss.__version__


class VectorIndex:
    """A FAISS index of unit vectors keyed by int64 ids (thread-safe)."""

    def __init__(self, meta: IndexMeta, index: faiss.Index | None = None, nprobe: int = 32) -> None:
        self.meta = meta
        self._lock = threading.RLock()
        self._index = index or faiss.index_factory(meta.dim, meta.spec, faiss.METRIC_INNER_PRODUCT)
        self.nprobe = meta.nprobe or nprobe

    @classmethod
    def build(
        cls,
        meta: IndexMeta,
        ids: np.ndarray,
        vectors: np.ndarray,
        nprobe: int = 32,
        recall_target: float = 0.95,
    ) -> VectorIndex:
        """A new index of these vectors: IVF quantisers trained on (a sample of) them, and
        the smallest `nprobe` reaching `recall_target` at 100 against exact search."""
        index = cls(meta, nprobe=nprobe)
        if not index._index.is_trained:
            train_quantiser(index._index, vectors)
        index.add(ids, vectors)
        tune_nprobe(index, ids, vectors, recall_target)
        return index

    @property
    def nlist(self) -> int:
        """IVF cells (0 for an exact index)."""
        return int(getattr(self._index, "nlist", 0))

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
        self,
        queries: np.ndarray,
        k: int,
        among: np.ndarray | None = None,
        nprobe: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query, optionally only among the ids `among`.

        Missing slots have id -1. The filter is a bitmap over ids (one bit test per vector
        scanned). IVF probes `nprobe / share` cells for an eligible share `share`: about as
        many eligible vectors as an unfiltered search sees, and every cell (an exhaustive
        scan of the eligible) when the filter is selective. `nprobe` given: exactly that many
        cells (how a sharded index probes each shard as one index would).
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        with self._lock:
            n = self._index.ntotal
            k = max(1, min(k, max(1, n)))
            if among is not None and len(among) == 0:
                shape = (len(queries), k)
                return np.full(shape, -np.inf, np.float32), np.full(shape, -1, np.int64)
            if nprobe is None and self.nlist:
                eligible = n if among is None else len(among)
                nprobe = filtered_nprobe(self.nprobe, self.nlist, eligible, n)
            if among is None:
                params = faiss.SearchParametersIVF(nprobe=nprobe) if self.nlist else None
                return self._index.search(queries, k, params=params)
            bits = id_bitmap(among)  # must outlive the search
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
            if self.nlist:
                params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
            else:
                params = faiss.SearchParameters(sel=selector)
            return self._index.search(queries, k, params=params)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def nbytes(self) -> int:
        """Size of the serialised index in bytes (what it takes in memory, give or take)."""
        with self._lock:
            return int(faiss.serialize_index(self._index).nbytes)

    def estimated_bytes(self) -> int:
        """Memory of the index, estimated without serialising it (cheap, for /health)."""
        index = faiss.downcast_index(self._index)
        n, d = index.ntotal, self.meta.dim
        if hasattr(index, "nlist"):
            return int(n * (index.code_size + 8) + index.nlist * d * 4)
        return int(n * (d * 4 + 8 + 40))  # flat codes, id map and its reverse map

    def save(self, folder: Path) -> None:
        """Write `<kind>.faiss` and `<kind>.json` atomically into folder."""
        base = folder / self.meta.kind
        with self._lock, folder_lock(folder, exclusive=True):  # which makes the folder
            tmp = base.with_suffix(f".faiss.{os.getpid()}.tmp")
            faiss.write_index(self._index, str(tmp))
            os.replace(tmp, base.with_suffix(".faiss"))
            tmp_meta = base.with_suffix(f".json.{os.getpid()}.tmp")
            tmp_meta.write_text(json.dumps(asdict(self.meta), indent=2))
            os.replace(tmp_meta, base.with_suffix(".json"))

    @classmethod
    def load(cls, folder: Path, kind: str, nprobe: int = 32) -> VectorIndex | None:
        """The saved index of a kind, or None when missing or unreadable."""
        base = folder / kind
        try:
            with folder_lock(folder, exclusive=False):
                meta = IndexMeta(**json.loads(base.with_suffix(".json").read_text()))
                index = faiss.read_index(str(base.with_suffix(".faiss")))
        except (OSError, ValueError, TypeError, RuntimeError):
            return None
        if index.ntotal != meta.count:
            return None
        return cls(meta, index, nprobe=nprobe)


def id_bitmap(ids: np.ndarray) -> np.ndarray:
    """A little-endian bitmap with the bits of `ids` set (FAISS IDSelectorBitmap layout)."""
    ids = np.asarray(ids, dtype=np.int64)
    mask = np.zeros(int(ids.max()) + 1, dtype=bool)
    mask[ids] = True
    return np.packbits(mask, bitorder="little")
