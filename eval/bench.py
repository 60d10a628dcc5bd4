"""`werkmatch bench`: what werkmatch costs by size, end to end, on one machine.

Each size gets its own data directory holding a demo world of that many jobseekers (one
vacancy per hundred), built through the production path and measured stage by stage:
- ingest: validation, store, occupation inference (records/s);
- embedding: every text with the fast static model distilled from e5 (texts/s), a sample of
  texts with e5 itself (texts/s); the static vectors are the ones served and searched;
- index: build time (from the store's vectors) and bytes per profile of the jobseeker index;
- recall@100 of the index against exact search, plain and among a vacancy's eligible;
- shortlist latency (eligibility, search among the eligible, features, ranker, explanations of
  the top 20) in-process and over HTTP, and in-process with exact brute-force retrieval.
Figures go to bench.json and bench.md (with plots) in the report folder.
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
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from demo.world import generate
from matching.config import Settings
from matching.directory import User
from matching.geo import geography
from matching.ingest import IngestReport
from matching.query import eligible, query_vector
from matching.records import Kind
from matching.service import Matcher, freeze_heap
from matching.texts import record_text
from matching.timing import stage
from matching.vector_index import ann_recall, exact_top
from models.embedder import Embedder
from models.registry import ServedRanker

log = logging.getLogger("werkmatch")

RECALL_QUERIES = 200


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_world(
    home: Path, size: int, static: Embedder, e5: Embedder, seed: int = 5, progress: bool = True
) -> tuple[Matcher, dict[str, float]]:
    """A data directory with `size` jobseekers, embedded with the static model; stage timings.

    An existing directory of that size is reused (its stage timings from its first build).
    """
    settings = Settings(
        home=home, model_dir=e5.model_dir, follow_embedder_champion=False, retrieve_n=500
    )
    matcher = Matcher(settings, embedder=static)
    done = home / "world.json"
    if done.exists() and matcher.store.count(Kind.JOBSEEKERS) >= size:
        matcher.prepare(progress=progress)  # indexes saved and the served model recorded
        return matcher, json.loads(done.read_text())
    figures: dict[str, float] = {}
    vacancies = max(300, size // 100)
    with stage() as took:
        world = generate(
            size, vacancies, seed=seed, progress=progress, max_outcome_vacancies=min(vacancies, 300)
        )
    figures["generate_s"] = took.seconds
    with stage() as took:
        for kind, frame in ((Kind.VACANCIES, world.vacancies), (Kind.JOBSEEKERS, world.jobseekers)):
            report = IngestReport(kind=kind.value)
            matcher.ingest_rows(kind, frame.iter_rows(named=True), report, progress, embed=False)
    figures["ingest_records_per_s"] = (size + vacancies) / took.seconds
    matcher.store.ledger.add_outcomes(
        {**r, "source": "demo"} for r in world.outcomes.iter_rows(named=True)
    )
    texts = [record_text(r) for r in _sample_records(matcher, 1000)]
    figures["embed_e5_texts_per_s"] = _rate(e5, texts)
    with stage() as took:
        for kind in Kind:
            matcher.serving.indexer.embed_pending(kind, progress=progress)
    figures["embed_texts_per_s"] = (size + vacancies) / took.seconds
    with stage() as took:
        matcher.prepare(progress=progress)  # builds both indexes from the store's vectors
    figures["index_build_s"] = took.seconds
    done.write_text(json.dumps(figures))
    return matcher, figures


def _sample_records(matcher: Matcher, n: int) -> list:
    rowids = np.random.default_rng(0).integers(1, matcher.store.count(Kind.JOBSEEKERS), n)
    return list(matcher.store.by_rowids(Kind.JOBSEEKERS, sorted(set(rowids.tolist()))).values())


def _rate(embedder: Embedder, texts: list[str]) -> float:
    embedder.encode(texts[:32], "passage")
    with stage() as took:
        embedder.encode(texts, "passage")
    return len(texts) / took.seconds


def measure_recall(matcher: Matcher, vacancy_ids: list[str]) -> dict[str, float]:
    """recall@100 of the jobseeker index against exact search, plain and among the eligible."""
    ctx = matcher.context()
    index = ctx.serving.indexer.index(Kind.JOBSEEKERS)
    ids, vectors = matcher.store.vectors.load(Kind.JOBSEEKERS, ctx.serving.model_id)
    queries, pools = [], []
    for vid in vacancy_ids:
        vacancy = matcher.get(Kind.VACANCIES, vid)
        queries.append(query_vector(ctx, vacancy))
        pools.append(eligible(ctx, vacancy).rowids)
    q = np.stack(queries)
    _, found = index.search(q, 100)
    plain = ann_recall(found, ids[exact_top(vectors, q, 100)])
    position = {int(r): i for i, r in enumerate(ids)}
    hits, filtered = [], []
    for query, among in zip(q, pools, strict=True):
        if len(among) < 100:
            continue  # too few eligible to ask for 100
        pos = np.array([position[int(r)] for r in among])
        truth = among[exact_top(vectors[pos], query[None], 100)]
        _, got = index.search(query, 100, among=among)
        hits.append(ann_recall(got, truth))
        filtered.append(len(among))
    return {
        "recall_at_100": plain,
        "recall_at_100_filtered": float(np.mean(hits)) if hits else float("nan"),
        "eligible_median": float(np.median(filtered)) if filtered else 0.0,
        "index_nprobe": float(index.nprobe) if index.meta.nprobe else 0.0,
    }


def _compare_indexes(matcher: Matcher, vacancy_ids: list[str]) -> list[dict[str, object]]:
    from eval.index_choice import compare

    ctx = matcher.context()
    _, vectors = matcher.store.vectors.load(Kind.JOBSEEKERS, ctx.serving.model_id)
    queries = [query_vector(ctx, matcher.get(Kind.VACANCIES, vid)) for vid in vacancy_ids]
    return compare(vectors, np.stack(queries))


def shortlist_latency(matcher: Matcher, vacancy_ids: list[str], k: int = 20) -> list[float]:
    """In-process shortlist latencies in ms (after 20 warm-up queries and, as the server does
    after start-up, with the loaded heap exempt from garbage collection)."""
    for vid in vacancy_ids[:20]:
        matcher.shortlist(vid, k=k)
    freeze_heap()
    out = []
    for vid in vacancy_ids:
        with stage() as took:
            matcher.shortlist(vid, k=k)
        out.append(took.ms)
    return out


def exact_matcher(matcher: Matcher, folder: Path) -> Matcher:
    """The same data directory searched by exact brute force (own index folder)."""
    settings = matcher.settings.model_copy(
        update={"index_dir": folder, "exact_index_max": 10**9, "index_spec": None}
    )
    exact = Matcher(settings, embedder=matcher.serving.embedder)
    exact.ranker = matcher.ranker
    return exact


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the benchmark dies, so none is left running."""
    with suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def serving(home: Path, model_dir: Path, tracking_uri: str | None) -> Iterator[tuple[str, int]]:
    """`werkmatch serve` on a data directory, in its own process, as in production.

    `tracking_uri` points the server at the MLflow store whose champion ranker is measured;
    the embedder stays the one the directory serves. Yields (URL, server pid, seconds the
    server took to answer /health).
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "WERKMATCH_HOME": str(home),
        "WERKMATCH_MODEL_DIR": str(model_dir),
        "WERKMATCH_FOLLOW_EMBEDDER_CHAMPION": "false",
    }
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
    started = time.monotonic()
    try:
        deadline = started + 900
        while True:
            if proc.poll() is not None:
                raise RuntimeError("werkmatch serve exited during start-up")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("werkmatch serve did not start in 900 s")
            time.sleep(0.5)
        yield url, proc.pid, time.monotonic() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_key(matcher: Matcher) -> str:
    """A matchmaker key whose user serves every region (the benchmark asks for any vacancy)."""
    regions = tuple(sorted(set(geography().region_codes.tolist())))
    user = User("bench-matchmaker", "Benchmark", "matchmaker", None, regions)
    matcher.store.directory.put_user(user)
    return matcher.store.ledger.create_key("matchmaker", "bench", user.user_id).key


def http_latency(
    matcher: Matcher,
    vacancy_ids: list[str],
    tracking_uri: str | None,
    k: int = 20,
    concurrency: int = 4,
) -> dict[str, float]:
    """Shortlists over HTTP from a separate server process: latency and throughput."""
    key = bench_key(matcher)
    headers = {"Authorization": f"Bearer {key}", "X-Purpose": "benchmark"}
    tracking = tracking_uri if matcher.ranker is not None else None
    with (
        serving(matcher.settings.home, matcher.settings.embedding_model_dir, tracking) as (
            url,
            pid,
            start_s,
        ),
        httpx.Client(base_url=url, headers=headers, timeout=120) as client,
    ):

        def one(vid: str) -> float:
            with stage() as took:
                client.get(f"/v1/vacancies/{vid}/shortlist", params={"k": k}).raise_for_status()
            return took.ms

        for vid in vacancy_ids[:20]:
            one(vid)
        latencies = [one(vid) for vid in vacancy_ids]
        with stage() as took, ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, vacancy_ids))
        throughput = len(vacancy_ids) / took.seconds
        server_mb = rss_mb(pid)
    return {
        "server_start_s": start_s,
        "server_rss_mb": server_mb,
        "http_p50_ms": _percentile(latencies, 50),
        "http_p99_ms": _percentile(latencies, 99),
        "http_mean_ms": statistics.fmean(latencies),
        "http_throughput_rps": throughput,
        "http_concurrency": concurrency,
    }


@dataclass
class BenchSetup:
    """The models and options every size is measured with."""

    static: Embedder  # embeds and serves every text
    e5: Embedder  # measured on a sample
    ranker: ServedRanker | None = None
    tracking_uri: str | None = None  # where the server finds the ranker
    requests: int = 200
    progress: bool = True


def bench_size(
    root: Path, size: int, setup: BenchSetup, compare_indexes: bool = False
) -> dict[str, object]:
    """Every figure of one size (and, if asked, the index candidates compared on it)."""
    home = root / f"world-{size}"
    static = setup.static
    matcher, figures = build_world(home, size, static, setup.e5, progress=setup.progress)
    matcher.ranker = setup.ranker
    rng = np.random.default_rng(0)
    ids = matcher.store.ids(Kind.VACANCIES)
    queries = [ids[i] for i in rng.integers(0, len(ids), setup.requests)]
    index = matcher.serving.indexer.index(Kind.JOBSEEKERS)
    out: dict[str, object] = {
        "size": matcher.store.count(Kind.JOBSEEKERS),
        "vacancies": len(ids),
        "embedder": static.model_id,
        "dim": static.dim,
        "index_type": index.meta.spec,
        "index_bytes_per_profile": index.nbytes() / max(len(index), 1),
        **figures,
    }
    out.update(measure_recall(matcher, queries[:RECALL_QUERIES]))
    inproc = shortlist_latency(matcher, queries)
    out["shortlist_p50_ms"] = _percentile(inproc, 50)
    out["shortlist_p99_ms"] = _percentile(inproc, 99)
    exact = shortlist_latency(exact_matcher(matcher, home / "exact-index"), queries)
    out["exact_p50_ms"] = _percentile(exact, 50)
    out["exact_p99_ms"] = _percentile(exact, 99)
    out["exact_ratio_p50"] = out["exact_p50_ms"] / out["shortlist_p50_ms"]
    try:
        out.update(http_latency(matcher, queries, setup.tracking_uri))
    except RuntimeError as e:  # the other figures still count
        log.warning("bench: HTTP not measured at %d: %s", size, e)
        out["http_error"] = str(e)
    if compare_indexes:  # last: its index builds leave FAISS's worker threads busy a while
        out["index_choice"] = _compare_indexes(matcher, queries[:RECALL_QUERIES])
    out["ranker"] = matcher.health().ranker.name
    out["requests"] = setup.requests
    return out


def run(sizes: list[int], root: Path, setup: BenchSetup) -> list[dict]:
    """Benchmark every size; writes bench.json, bench.md and bench.png into `root` after
    each one. The largest size also compares index types on its vectors."""
    from eval.bench_report import write_report

    results = []
    for size in sizes:
        figures = bench_size(root, size, setup, compare_indexes=size == max(sizes))
        results.append(figures)
        log.info("bench %s", json.dumps(figures))
        write_report(results, root)  # after every size: a long run reports as it goes
    return results
