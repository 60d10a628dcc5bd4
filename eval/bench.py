"""`werkmatch bench`: shortlist latency in-process and over HTTP, throughput, index size.

Each size gets its own data directory with a demo world of that many jobseekers. Embedding a
large world with e5 on 2 cores takes hours, so only a sample is embedded with the real model;
the other jobseekers get the vector of a sampled jobseeker of the same occupation group plus
small noise (renormalised). Records, filters, features, ranking and explanations are real.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import numpy as np
import polars as pl
from tqdm.auto import tqdm

from matching.config import Settings
from matching.ingest import IngestReport
from matching.service import Matcher
from matching.store import Kind
from models.embedder import Embedder

log = logging.getLogger("werkmatch")


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def build_world(
    home: Path,
    size: int,
    vacancies: int,
    embedder: Embedder,
    sample: int,
    seed: int = 5,
    progress: bool = True,
) -> Matcher:
    """A data directory with `size` jobseekers; vectors from an embedded sample of them."""
    from training.demo_world import generate

    settings = Settings(home=home, model_dir=embedder.model_dir)
    matcher = Matcher(settings, embedder=embedder)
    if matcher.store.count(Kind.JOBSEEKERS) >= size:
        return matcher
    world = generate(
        size, vacancies, seed=seed, progress=progress, max_outcome_vacancies=min(vacancies, 300)
    )
    matcher.ingest_rows(
        Kind.VACANCIES,
        world.vacancies.iter_rows(named=True),
        IngestReport(kind="vacancies"),
        progress=progress,
    )
    matcher.ingest_rows(
        Kind.JOBSEEKERS,
        world.jobseekers.iter_rows(named=True),
        IngestReport(kind="jobseekers"),
        progress=progress,
        embed=False,
    )
    matcher.store.add_outcomes(
        {**r, "source": "demo"} for r in world.outcomes.iter_rows(named=True)
    )
    _derived_vectors(matcher, world.truth_jobseekers, sample, seed, progress)
    matcher.prepare(progress=progress)
    return matcher


def _derived_vectors(
    matcher: Matcher, truth: pl.DataFrame, sample: int, seed: int, progress: bool
) -> None:
    from matching.labour_market import occupation_group

    rng = np.random.default_rng(seed)
    pending = matcher.store.pending_texts(Kind.JOBSEEKERS, matcher.embedder.model_id)
    group_of = {
        f"WZ-{i + 1:07d}": occupation_group(u)
        for i, u in enumerate(truth["occupation_uri"].to_list())
    }
    rowid_to_id = {}
    for chunk_start in range(0, len(pending), 20_000):
        part = [r for r, _, _ in pending[chunk_start : chunk_start + 20_000]]
        recs = matcher.store.by_rowids(Kind.JOBSEEKERS, part)
        rowid_to_id.update({r: rec.id for r, rec in recs.items()})
    picked = rng.choice(len(pending), min(sample, len(pending)), replace=False)
    chosen = [pending[i] for i in picked]
    vecs = matcher.embedder.encode([t for _, _, t in chosen], "passage", progress=progress)
    matcher.store.put_embeddings(
        Kind.JOBSEEKERS, matcher.embedder.model_id, [(r, h) for r, h, _ in chosen], vecs
    )
    by_group: dict[str | None, list[int]] = {}
    for i, (r, _, _) in enumerate(chosen):
        by_group.setdefault(group_of.get(rowid_to_id[r]), []).append(i)
    done = {r for r, _, _ in chosen}
    rest = [(r, h) for r, h, _ in pending if r not in done]
    for start in tqdm(range(0, len(rest), 20_000), desc="derived vectors", disable=not progress):
        part = rest[start : start + 20_000]
        src = np.array(
            [rng.choice(by_group.get(group_of.get(rowid_to_id[r]), [0])) for r, _ in part]
        )
        derived = vecs[src] + rng.normal(0, 0.02, (len(part), vecs.shape[1])).astype(np.float32)
        derived /= np.linalg.norm(derived, axis=1, keepdims=True)
        matcher.store.put_embeddings(Kind.JOBSEEKERS, matcher.embedder.model_id, part, derived)


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the benchmark dies, so none is left running."""
    with suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def serving(home: Path, model_dir: Path, tracking_uri: str | None) -> Iterator[str]:
    """`werkmatch serve` on a data directory, in its own process, as in production.

    `tracking_uri` points the server at the MLflow store whose champion is measured.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WERKMATCH_HOME": str(home), "WERKMATCH_MODEL_DIR": str(model_dir)}
    if tracking_uri:
        env["WERKMATCH_MLFLOW_URI"] = tracking_uri
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        preexec_fn=_die_with_parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError("werkmatch serve exited during start-up")
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("werkmatch serve did not start in 300 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure(
    matcher: Matcher,
    requests: int = 200,
    k: int = 20,
    concurrency: int = 4,
    seed: int = 0,
    tracking_uri: str | None = None,
) -> dict[str, float]:
    """Latency (in-process and HTTP) and HTTP throughput of shortlists on random vacancies."""
    from api.auth import Role, create_key

    rng = np.random.default_rng(seed)
    ids = matcher.store.ids(Kind.VACANCIES)
    queries = [ids[i] for i in rng.integers(0, len(ids), requests)]
    for vid in queries[:20]:  # warm caches: query vectors, market table, lexical model
        matcher.shortlist(vid, k=k)
    inproc = []
    for vid in queries:
        t = time.perf_counter()
        matcher.shortlist(vid, k=k)
        inproc.append((time.perf_counter() - t) * 1000)
    key = create_key(matcher.store, Role.MATCHMAKER, "bench")
    headers = {"Authorization": f"Bearer {key}", "X-Purpose": "benchmark"}
    tracking = tracking_uri if matcher.ranker is not None else None
    with (
        serving(matcher.settings.home, matcher.embedder.model_dir, tracking) as url,
        httpx.Client(base_url=url, headers=headers, timeout=60) as client,
    ):
        for vid in queries[:20]:  # warm the server's caches as for in-process
            client.get(f"/v1/vacancies/{vid}/shortlist", params={"k": k}).raise_for_status()
        http = []
        for vid in queries:
            t = time.perf_counter()
            r = client.get(f"/v1/vacancies/{vid}/shortlist", params={"k": k})
            http.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()

        def one(vid: str) -> None:
            client.get(f"/v1/vacancies/{vid}/shortlist", params={"k": k}).raise_for_status()

        t = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, queries))
        throughput = len(queries) / (time.perf_counter() - t)
    index = matcher.indexer.index(Kind.JOBSEEKERS)
    return {
        "size": matcher.store.count(Kind.JOBSEEKERS),
        "index_type": index.meta.spec,
        "index_bytes_per_profile": index.nbytes() / max(len(index), 1),
        "shortlist_p50_ms": _percentile(inproc, 50),
        "shortlist_p99_ms": _percentile(inproc, 99),
        "http_p50_ms": _percentile(http, 50),
        "http_p99_ms": _percentile(http, 99),
        "http_mean_ms": statistics.fmean(http),
        "http_throughput_rps": throughput,
        "concurrency": concurrency,
        "requests": requests,
        "ranker": matcher.health()["ranker"]["name"],
    }


def run(
    sizes: list[int],
    root: Path,
    embedder: Embedder,
    sample: int = 2000,
    requests: int = 200,
    progress: bool = True,
    ranker=None,
    tracking_uri: str | None = None,
) -> list[dict]:
    """Benchmark every size with `ranker` (e.g. the served champion; None ranks by cosine).

    Writes bench.md, bench.json and bench.png into `root`.
    """
    results = []
    for size in sizes:
        start = time.perf_counter()
        matcher = build_world(
            root / f"world-{size}", size, max(300, size // 100), embedder, sample, progress=progress
        )
        matcher.ranker = ranker
        setup = time.perf_counter() - start
        figures = measure(matcher, requests=requests, tracking_uri=tracking_uri)
        figures["setup_s"] = round(setup, 1)
        figures["embedded_sample"] = min(sample, size)
        results.append(figures)
        log.info("bench %s", json.dumps(figures))
    _write(results, root)
    return results


def _write(results: list[dict], root: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    root.mkdir(parents=True, exist_ok=True)
    (root / "bench.json").write_text(json.dumps(results, indent=2))
    sizes = [r["size"] for r in results]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    for key, label in (
        ("shortlist_p50_ms", "in-process p50"),
        ("shortlist_p99_ms", "in-process p99"),
        ("http_p50_ms", "HTTP p50"),
        ("http_p99_ms", "HTTP p99"),
    ):
        a.plot(sizes, [r[key] for r in results], marker="o", label=label)
    a.set_xscale("log")
    a.set_xlabel("jobseekers")
    a.set_ylabel("ms")
    a.set_title("shortlist latency (k=20, explained)")
    a.legend(fontsize=8)
    b.plot(sizes, [r["index_bytes_per_profile"] for r in results], marker="o")
    b.set_xscale("log")
    b.set_xlabel("jobseekers")
    b.set_ylabel("bytes per profile")
    b.set_title("index memory")
    fig.tight_layout()
    fig.savefig(root / "bench.png", dpi=110)
    plt.close(fig)
    lines = [
        "# werkmatch benchmark",
        "",
        "Shortlist = eligibility filter, vector search among the eligible (500), features, "
        "ranker, explanations of the top 20. HTTP adds authentication, audit and JSON.",
        "",
        "| jobseekers | index | bytes/profile | in-process p50 / p99 ms | HTTP p50 / p99 ms "
        "| HTTP req/s (4 clients) | embedded sample |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['index_type']} | {r['index_bytes_per_profile']:.0f} | "
            f"{r['shortlist_p50_ms']:.1f} / {r['shortlist_p99_ms']:.1f} | "
            f"{r['http_p50_ms']:.1f} / {r['http_p99_ms']:.1f} | "
            f"{r['http_throughput_rps']:.1f} | {r['embedded_sample']:,} |"
        )
    lines += ["", "![latency and memory](bench.png)", ""]
    (root / "bench.md").write_text("\n".join(lines))
