"""Figures for docs/scale.md: embedding throughput per Ray worker against one process, and
vector-search latency and memory per shard.

`python -m eval.scale --texts 240 --vectors 1000000` prints JSON. Embedding: the same demo CV
texts embedded by the single-process path (`Indexer.embed_pending`, 1 and 2 torch threads)
and by the Ray job in local mode with 1 and 2 workers (one CPU each; vectors/s from the first
partition's start to the last one's end, so model loading is left out), each on a fresh store.
Search: synthetic clustered unit vectors (384 dims), one IVF index with fp16 codes trained
once and split into 1, 2 and 4 shards; p50/p99 of single queries for `retrieve_n` (500)
results, plain and among 5% eligible, for the sharded index and for one of its shards alone.
The machine's load average is recorded beside every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from demo.world import generate
from matching.config import Settings
from matching.indexing import Indexer
from matching.records import RECORD_CLASS, Kind
from matching.sharded_index import ShardedIndex, shard_meta, shard_of, trained_template
from matching.store import Store
from matching.vector_index import IndexMeta, VectorIndex, ivf_cells
from models.embedder import Embedder


def load_avg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def say(what: str) -> None:
    """Progress on stderr (the figures go to stdout)."""
    print(f"{time.strftime('%H:%M:%S')} {what} (load {load_avg()})", file=sys.stderr, flush=True)


def pending_store(home: Path, model_dir: Path, texts: int) -> Settings:
    """A data directory with `texts` demo jobseekers, none embedded."""
    settings = Settings(home=home, model_dir=model_dir, embed_batch_size=16)
    settings.ensure_dirs()
    frame = generate(texts, max(texts // 100, 1), seed=11, progress=False).jobseekers
    cls = RECORD_CLASS[Kind.JOBSEEKERS]
    rows = frame.head(texts).iter_rows(named=True)
    records = [cls.model_validate({k: v for k, v in r.items() if v is not None}) for r in rows]
    Store(settings.db_url).upsert(records)
    return settings


def embedding_figures(model_dir: Path, texts: int, rows: int) -> list[dict[str, object]]:
    """vectors/s of one process (1 and 2 threads) and of Ray (1 and 2 workers)."""
    from matching.cluster import connect, run_on_ray
    from matching.embedders import EmbedderRef

    out: list[dict[str, object]] = []
    root = Path(tempfile.mkdtemp(prefix="wm-scale-"))
    for threads in (1, 2):
        say(f"embedding {texts} texts in one process, {threads} thread(s)")
        settings = pending_store(root / f"one-{threads}", model_dir, texts)
        embedder = Embedder(model_dir, 16, threads, settings.embed_precision)
        load, start = load_avg(), time.perf_counter()
        indexer = Indexer(Store(settings.db_url), embedder, root / "index", chunk=rows)
        done = indexer.embed_pending(Kind.JOBSEEKERS, progress=False)
        seconds = time.perf_counter() - start
        out.append(
            {
                "path": f"one process, {threads} thread(s)",
                "texts": done,
                "vectors_per_s": round(done / seconds, 2),
                "load": [load, load_avg()],
            }
        )
    connect(cpus=2)
    for workers in (1, 2):
        say(f"embedding {texts} texts on Ray, {workers} worker(s)")
        settings = pending_store(root / f"ray-{workers}", model_dir, texts)
        load = load_avg()
        report = run_on_ray(settings, EmbedderRef("base", model_dir), workers, rows)
        out.append(
            {
                "path": f"Ray, {workers} worker(s)",
                "texts": report.embedded,
                "vectors_per_s": report.vectors_per_s,
                "workers_seen": report.workers_seen,
                "job_s": report.seconds,
                "load": [load, load_avg()],
            }
        )
    return out


def clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors around 2,000 centres (texts around occupations)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2000, dim)).astype(np.float32)
    x = centres[rng.integers(0, 2000, n)] + rng.normal(0, 0.6, (n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def latencies(index, queries: np.ndarray, k: int, among: np.ndarray | None) -> dict[str, float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        index.search(q, k, among=among)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p99_ms": round(float(np.percentile(times, 99)), 2),
    }


def search_figures(n: int, nprobe: int, k: int = 500) -> list[dict[str, object]]:
    """Sharded search latency and bytes per vector for 1, 2 and 4 shards of n vectors."""
    dim, out = 384, []
    vectors, ids = clustered(n, dim, 1), np.arange(1, n + 1, dtype=np.int64)
    queries = clustered(300, dim, 2)
    among = np.sort(np.random.default_rng(3).choice(ids, n // 20, replace=False))
    meta = IndexMeta("jobseekers", "synthetic", f"IVF{ivf_cells(n)},SQfp16", dim, 0)
    say(f"training {meta.spec} on a sample of {n:,} vectors")
    template = trained_template(meta, vectors)
    for shards in (1, 2, 4):
        say(f"filling {shards} shard(s), then 3 x 300 searches")
        parts = []
        for i in range(shards):
            part = VectorIndex(shard_meta(meta, i), faiss.clone_index(template), nprobe)
            mine = shard_of(ids, shards) == i
            part.add(ids[mine], vectors[mine])
            parts.append(part)
        index = ShardedIndex(meta, parts, nprobe) if shards > 1 else parts[0]
        row = {
            "shards": shards,
            "vectors": n,
            "spec": meta.spec,
            "nprobe": nprobe,
            "k": k,
            "bytes_per_vector": round(index.nbytes() / n, 1),
            "load": load_avg(),
        }
        row["all"] = latencies(index, queries, k, None)
        row["eligible_5pct"] = latencies(index, queries, k, among)
        row["one_shard"] = latencies(parts[0], queries, k, None)
        out.append(row)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", type=Path, required=True)
    p.add_argument("--texts", type=int, default=240)
    p.add_argument("--partition-rows", type=int, default=40)
    p.add_argument("--vectors", type=int, default=1_000_000)
    p.add_argument("--nprobe", type=int, default=16)
    p.add_argument("--skip-embedding", action="store_true")
    p.add_argument("--skip-search", action="store_true")
    args = p.parse_args()
    out: dict[str, object] = {"cpus": len(__import__("os").sched_getaffinity(0))}
    if not args.skip_search:
        out["search"] = search_figures(args.vectors, args.nprobe)
        print(json.dumps(out, indent=1), flush=True)
    if not args.skip_embedding:
        out["embedding"] = embedding_figures(args.model_dir, args.texts, args.partition_rows)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
