"""Which FAISS index for a population: candidates measured on the same vectors and queries.

For each candidate: build time, bytes per profile (serialised), the smallest search parameter
(IVF `nprobe`, HNSW `efSearch`) reaching the recall@100 target against exact search, the
recall and single-query latency there, and whether it can delete vectors (the index follows
the store's deletions and updates, so one that cannot is ruled out for serving).
"""

from __future__ import annotations

import faiss
import numpy as np

from matching.timing import stage
from matching.vector_index import NPROBES, ann_recall, exact_top, ivf_cells, train_quantiser

EF_SEARCH = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def candidates(n: int, dim: int) -> list[str]:
    """IVF with 8-bit and fp16 scalar quantisation and with product quantisation, and HNSW."""
    nlist = ivf_cells(n)
    return [
        f"IVF{nlist},SQ8",
        f"IVF{nlist},SQfp16",
        f"IVF{nlist},PQ{dim // 8}x8",
        "HNSW32,SQ8",
    ]


def _search_ms(index: faiss.Index, queries: np.ndarray, k: int, params) -> tuple[np.ndarray, float]:
    times, found = [], []
    for q in queries:
        with stage() as took:
            found.append(index.search(q[None], k, params=params)[1][0])
        times.append(took.ms)
    return np.stack(found), float(np.median(times))


def measure(
    spec: str,
    vectors: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    k: int = 100,
    target: float = 0.95,
) -> dict[str, object]:
    """Build one candidate and tune it to the recall target."""
    n, dim = vectors.shape
    with stage() as took:
        index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            train_quantiser(index, vectors)
        index.add(vectors)
    build_s = took.seconds
    ivf = spec.startswith("IVF")
    grid = [p for p in NPROBES if p <= index.nlist] if ivf else list(EF_SEARCH)
    row: dict[str, object] = {"spec": spec, "build_s": build_s, "deletes": ivf}
    row["bytes_per_profile"] = faiss.serialize_index(index).nbytes / n + (8 if not ivf else 0)
    for value in grid:
        params = (
            faiss.SearchParametersIVF(nprobe=value)
            if ivf
            else faiss.SearchParametersHNSW(efSearch=max(value, k))
        )
        found, ms = _search_ms(index, queries, k, params)
        row.update(param=("nprobe" if ivf else "efSearch"), value=value)
        row.update(recall_at_100=ann_recall(found, truth), search_p50_ms=ms)
        if row["recall_at_100"] >= target:
            break
    return row


def compare(
    vectors: np.ndarray, queries: np.ndarray, specs: list[str] | None = None, k: int = 100
) -> list[dict[str, object]]:
    """Every candidate, plus exact search as the reference."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    specs = specs or candidates(*vectors.shape)
    with stage() as took:
        truth = exact_top(vectors, queries, k)
    exact_ms = took.ms / len(queries)
    rows = [
        {
            "spec": "Flat (exact)",
            "bytes_per_profile": vectors.shape[1] * 4 + 8,
            "recall_at_100": 1.0,
            "search_p50_ms": exact_ms,
            "deletes": True,
            "build_s": 0.0,
        }
    ]
    rows += [measure(spec, vectors, queries, truth, k) for spec in specs]
    return rows


def markdown(rows: list[dict[str, object]], n: int, dim: int) -> str:
    lines = [
        f"Index candidates on {n:,} x {dim} vectors (recall@100 target 0.95 against exact):",
        "",
        "| index | bytes/profile | build s | tuned | recall@100 | search p50 ms | deletes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        tuned = f"{r['param']} {r['value']}" if "param" in r else "-"
        lines.append(
            f"| {r['spec']} | {r['bytes_per_profile']:.0f} | {r['build_s']:.1f} | {tuned} "
            f"| {r['recall_at_100']:.3f} | {r['search_p50_ms']:.2f} | "
            f"{'yes' if r['deletes'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"
