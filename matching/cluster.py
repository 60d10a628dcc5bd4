"""The batch path on Ray: pending texts embedded in partitions by Ray Data workers, the
vectors written back per partition, the index built from parts filled in parallel.

`werkmatch embed --engine ray [--address ...]` runs it, in local mode or unchanged on a
cluster whose workers reach the same database (PostgreSQL) and model folder. A partition is
a range of rowids; its worker reads the texts itself (so no personal text passes through
Ray's object store, which spills to disk), embeds them with the model it loaded once, and
writes them in one transaction. A killed job loses at most the partitions in flight: the
rerun plans partitions from what is still pending, so finished ones are never redone.
The index: IVF quantisers trained once on a sample, parts of the vectors added to copies of
the trained index by Ray tasks in parallel, merged per shard (`WERKMATCH_INDEX_SHARDS`).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from matching.config import Settings
from matching.embedders import EmbedderRef
from matching.records import Kind
from matching.sharded_index import ShardedIndex, shard_meta, shard_of, trained_template
from matching.store import Store
from matching.vector_index import IndexMeta, VectorIndex, choose_spec, tune_nprobe
from models.embedder import Embedder, model_slug

log = logging.getLogger("werkmatch")


@dataclass(frozen=True)
class Partition:
    """Pending records of one kind with rowids in (after, upto]."""

    kind: str
    after: int
    upto: int
    rows: int


def plan(store: Store, kind: Kind, model_id: str, rows: int) -> list[Partition]:
    """Partitions of at most `rows` of the records still pending for this model."""
    pending = store.vectors.pending_rowids(kind, model_id)
    parts = [pending[i : i + rows] for i in range(0, len(pending), rows)]
    return [Partition(kind.value, int(p[0]) - 1, int(p[-1]), len(p)) for p in parts]


class EmbedWorker:
    """A Ray Data worker: loads the model once, then embeds and stores whole partitions."""

    def __init__(self, db_url: str, ref: EmbedderRef, batch: int, threads: int, precision: str):
        self.store = Store(db_url)
        self.embedder = Embedder(ref.path, batch, threads, precision)  # type: ignore[arg-type]
        if self.embedder.model_id != ref.model_id:
            raise RuntimeError(f"worker has model {self.embedder.model_id}, not {ref.model_id}")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        keys = ("kind", "after", "upto", "done", "start", "end", "worker")
        out: dict[str, list] = {k: [] for k in keys}
        model_id = self.embedder.model_id
        for kind, after, upto in zip(batch["kind"], batch["after"], batch["upto"], strict=True):
            start = time.time()
            texts = self.store.vectors.pending_texts(
                Kind(kind), model_id, after=int(after), upto=int(upto)
            )
            vectors = self.embedder.encode([t for _, _, t in texts], "passage")
            self.store.vectors.put(Kind(kind), model_id, [(r, h) for r, h, _ in texts], vectors)
            row = (kind, after, upto, len(texts), start, time.time(), os.getpid())
            for key, value in zip(out, row, strict=True):
                out[key].append(value)
        return out


@dataclass
class RayReport:
    """What one Ray job did. `vectors_per_s` counts from the first partition's start to the
    last one's end: Ray's start-up and the workers' model loading are left out."""

    workers: int
    workers_seen: int = 0  # distinct worker processes that embedded a partition
    partitions: int = 0
    embedded: int = 0
    seconds: float = 0.0  # the whole job, start-up and index builds included
    busy_seconds: float = 0.0
    vectors_per_s: float = 0.0
    done: list[tuple[str, int, int]] = field(default_factory=list)  # (kind, after, upto)
    indexes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def connect(address: str | None = None, cpus: int | None = None) -> None:
    """Join the Ray cluster at `address`, or start a local one with `cpus` CPUs (once)."""
    import ray

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False)


def embed_partitions(
    settings: Settings, ref: EmbedderRef, parts: list[Partition], workers: int, report: RayReport
) -> None:
    """Embed the partitions with a pool of `workers` Ray Data workers (one CPU each)."""
    import ray.data

    ray.data.DataContext.get_current().enable_progress_bars = False
    ds = ray.data.from_items([asdict(p) for p in parts], override_num_blocks=len(parts))
    kwargs = {"db_url": settings.db_url, "ref": ref, "batch": settings.embed_batch_size}
    kwargs |= {"threads": 1, "precision": settings.embed_precision}
    out = ds.map_batches(
        EmbedWorker,
        fn_constructor_kwargs=kwargs,
        compute=ray.data.ActorPoolStrategy(size=workers),
        batch_size=1,
        num_cpus=1,
    )
    first, last, seen = float("inf"), 0.0, set()
    for row in out.iter_rows():
        report.partitions += 1
        report.embedded += int(row["done"])
        report.done.append((str(row["kind"]), int(row["after"]), int(row["upto"])))
        first, last = min(first, float(row["start"])), max(last, float(row["end"]))
        seen.add(int(row["worker"]))
        log.info("ray: partition %d of %d done (%s)", report.partitions, len(parts), row["kind"])
    report.busy_seconds = round(max(last - first, 0.0), 3)
    report.workers_seen = len(seen)
    report.vectors_per_s = round(report.embedded / max(report.busy_seconds, 1e-9), 1)


def _fill(template: np.ndarray, ids: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """A Ray task: the trained empty index with these vectors added, serialised."""
    index = faiss.deserialize_index(template)
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    return faiss.serialize_index(index)


def build_on_ray(
    settings: Settings, store: Store, kind: Kind, model_id: str, rows: int
) -> VectorIndex | ShardedIndex | None:
    """The index of a kind's stored vectors: quantisers trained once on a sample, parts of
    `rows` vectors added by Ray tasks in parallel, merged into each shard, nprobe tuned."""
    import ray

    revision = store.changes.revision(kind)  # first: later writes are caught up by sync
    ids, vectors = store.vectors.load(kind, model_id)
    if not len(ids):
        return None
    spec = choose_spec(len(ids), settings.exact_index_max, settings.index_spec)
    meta = IndexMeta(kind.value, model_id, spec, vectors.shape[1], revision)
    template = ray.put(faiss.serialize_index(trained_template(meta, vectors)))
    fill, shards = ray.remote(_fill), settings.index_shards
    tasks: list[list] = [[] for _ in range(shards)]
    for s in range(shards):
        mine = np.flatnonzero(shard_of(ids, shards) == s)
        for i in range(0, len(mine), rows):
            part = mine[i : i + rows]
            tasks[s].append(fill.remote(template, ids[part], vectors[part]))
    parts = [_merged([ray.get(t) for t in shard]) for shard in tasks]
    if shards == 1:
        index: VectorIndex | ShardedIndex = VectorIndex(meta, parts[0], settings.ann_nprobe)
        meta.count = len(index)
    else:
        pieces = [VectorIndex(shard_meta(meta, i), p) for i, p in enumerate(parts)]
        index = ShardedIndex(meta, pieces, settings.ann_nprobe)
    tune_nprobe(index, ids, vectors, settings.ann_recall_target)
    return index


def _merged(parts: list[np.ndarray]) -> faiss.Index:
    """One index of the serialised parts (the first, with the others merged into it)."""
    index = faiss.deserialize_index(parts[0])
    for part in parts[1:]:
        index.merge_from(faiss.deserialize_index(part), 0)  # ids kept as they are
    return index


def run_on_ray(
    settings: Settings, ref: EmbedderRef, workers: int = 2, rows: int = 1000
) -> RayReport:
    """Embed everything pending on Ray, then build and save both kinds' indexes where the
    service opens them (it catches up with later writes from their revision)."""
    started = time.perf_counter()
    report = RayReport(workers=workers)
    store = Store(settings.db_url)
    parts = [p for kind in Kind for p in plan(store, kind, ref.model_id, rows)]
    log.info("ray: %d partitions of at most %d texts pending", len(parts), rows)
    if parts:
        embed_partitions(settings, ref, parts, workers, report)
    folder = Path(settings.indexes_dir) / model_slug(ref.model_id)
    for kind in Kind:
        index = build_on_ray(settings, store, kind, ref.model_id, rows)
        if index is not None:
            index.save(folder)
            report.indexes[kind.value] = len(index)
    report.seconds = round(time.perf_counter() - started, 3)
    return report
