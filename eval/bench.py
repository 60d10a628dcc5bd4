"""`werkmatch bench`: what werkmatch costs by size, end to end, on one machine.

Each size gets its own data directory holding a demo world of that many jobseekers (one
vacancy per hundred), embedded by each serving model (e5, the default, and the static model
distilled from it for bulk loads) through the production path (`eval/bench_world.py`).
Per model, with that model serving:
- recall@100 of the index against exact search, plain and among a vacancy's eligible;
- warm shortlists (eligibility, search among the eligible, features, ranker, explanations of
  the top 20) of stored vacancies whose query vector is cached: the recall sample;
- cold shortlists of fresh vacancies (stored untimed, then asked once, so the timed request
  encodes the text), and for the same vacancies encoding plus vector search alone;
- the same warm and cold shortlists with exact brute-force retrieval, as reference;
- over HTTP (`eval/bench_http.py`): warm shortlists, and cold ones (POST, then shortlist) by
  1, 4, 16 and 50 concurrent clients; optionally another checkout's server beside this one.
Every sample is drawn without replacement; warm-up requests are never counted.
Figures go to bench.json and bench.md (with plots) in the report folder.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.bench_http import LEVELS, http_figures, staff_keys
from eval.bench_world import FRESH_PREFIX, FreshVacancies, bench_settings, build_world, drop_fresh
from matching.embedders import record_serving
from matching.query import eligible, query_vector
from matching.records import Kind, Vacancy
from matching.service import Matcher, freeze_heap
from matching.store import Store
from matching.texts import record_text
from matching.timing import stage
from matching.vector_index import ann_recall, exact_top
from models.embedder import Embedder, model_slug
from models.registry import ServedRanker

log = logging.getLogger("werkmatch")

RECALL_QUERIES = 200
WARMUP = 20  # warm: the sample's first queries, asked once more and not counted
COLD_WARMUP = 5  # cold: fresh vacancies asked first and not counted


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def _p(name: str, values: list[float]) -> dict[str, float]:
    """`name_p50_ms` and `name_p99_ms` (a `_cold` suffix of name moves to the end)."""
    base, cold = (name[:-5], "_cold") if name.endswith("_cold") else (name, "")
    return {f"{base}_p{q}_ms{cold}": _percentile(values, q) for q in (50, 99)}


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
    """In-process shortlist latencies in ms of warm queries (their vectors cached): the first
    WARMUP are asked once uncounted, then every one once with, as the server does after
    start-up, the loaded heap exempt from garbage collection."""
    for vid in vacancy_ids[:WARMUP]:
        matcher.shortlist(vid, k=k)
    freeze_heap()
    out = []
    for vid in vacancy_ids:
        with stage() as took:
            matcher.shortlist(vid, k=k)
        out.append(took.ms)
    return out


def cold_latency(
    matcher: Matcher, bodies: list[dict], k: int = 20, shortlister: Matcher | None = None
) -> dict[str, list[float]]:
    """Fresh vacancies, each stored untimed, then timed: its text encoded and the vector
    searched among its eligible (nothing cached), and its whole shortlist (which encodes the
    text again, as the first request for a new vacancy does). `shortlister` asks the
    shortlists (the exact matcher); the first COLD_WARMUP are not counted."""
    out: dict[str, list[float]] = {"encode": [], "encode_search": [], "shortlist": []}
    for i, body in enumerate(bodies):
        vacancy = Vacancy.model_validate(body)
        matcher.create(vacancy)
        ctx = matcher.context()
        among = eligible(ctx, vacancy).rowids
        index = ctx.serving.indexer.index(Kind.JOBSEEKERS)
        with stage() as encoded:
            q = ctx.serving.embedder.encode([record_text(vacancy)], "query")[0]
        with stage() as searched:
            index.search(q, ctx.retrieve_n, among=among)
        with stage() as took:
            (shortlister or matcher).shortlist(vacancy.id, k=k)
        if i >= COLD_WARMUP:
            out["encode"].append(encoded.ms)
            out["encode_search"].append(encoded.ms + searched.ms)
            out["shortlist"].append(took.ms)
    return out


def exact_matcher(matcher: Matcher, folder: Path) -> Matcher:
    """The same data directory searched by exact brute force (own index folder)."""
    settings = matcher.settings.model_copy(
        update={"index_dir": folder, "exact_index_max": 10**9, "index_spec": None}
    )
    exact = Matcher(settings, embedder=matcher.serving.embedder)
    exact.ranker = matcher.ranker
    return exact


@dataclass
class BenchSetup:
    """The models and options every size is measured with."""

    models: dict[str, Embedder]  # label -> serving model; the first is the headline
    model_dir: Path  # the settings' base model (e5)
    ranker: ServedRanker | None = None
    tracking_uri: str | None = None  # where the server finds the ranker
    requests: int = 200  # per sample: warm, cold, exact cold, each HTTP level
    vacancies: int = 300  # at least, per world
    compare: Path | None = None  # another checkout whose server is measured beside this one
    compare_tracking_uri: str | None = None  # its ranker's MLflow store (default: the same)
    levels: tuple[int, ...] = LEVELS
    workers: int = 1  # server processes of this checkout over HTTP (the compared one: 1)
    progress: bool = True
    seed: int = 5


def _samples(store: Store, n: int, seed: int) -> list[str]:
    """Stored vacancies (not the benchmark's own), drawn without replacement."""
    ids = [i for i in store.ids(Kind.VACANCIES) if not i.startswith(FRESH_PREFIX)]
    rng = np.random.default_rng(seed)
    return [ids[i] for i in rng.permutation(len(ids))[: min(n, len(ids))]]


def _world_matcher(root: Path, size: int, setup: BenchSetup) -> tuple[Path, dict]:
    home = root / f"world-{size}"
    settings = bench_settings(home, setup.model_dir)
    opts = {"seed": setup.seed, "vacancies": setup.vacancies, "progress": setup.progress}
    return home, build_world(home, size, setup.models, settings, **opts)


def bench_model(
    home: Path, label: str, model: Embedder, setup: BenchSetup, compare_indexes: bool = False
) -> dict[str, object]:
    """Every figure of one serving model on a built world (the model serves it meanwhile)."""
    matcher = Matcher(bench_settings(home, setup.model_dir), embedder=model)
    drop_fresh(matcher)  # left by an interrupted run
    matcher.prepare(progress=setup.progress)
    matcher.ranker = setup.ranker
    record_serving(matcher.settings, matcher.serving.ref)  # what `serve` will serve
    index = matcher.serving.indexer.index(Kind.JOBSEEKERS)
    out: dict[str, object] = {
        "model": label,
        "embedder": model.model_id,
        "dim": model.dim,
        "index_type": index.meta.spec,
        "index_bytes_per_profile": index.nbytes() / max(len(index), 1),
    }
    warm = _samples(matcher.store, setup.requests, setup.seed)
    out.update(measure_recall(matcher, warm))  # which caches their query vectors: warm
    fresh = FreshVacancies(1000 + setup.seed, label)
    out |= _inprocess(matcher, warm, fresh, setup, home)
    try:
        keys = staff_keys(matcher.store, "bench")
        tracking = setup.tracking_uri if setup.ranker else None
        args = (home, setup.model_dir, tracking, keys, fresh, warm, setup.requests)
        served = http_figures(
            *args,
            compare=setup.compare,
            compare_tracking_uri=setup.compare_tracking_uri,
            levels=setup.levels,
            workers=setup.workers,
        )
        out.update(served)
    except RuntimeError as e:  # the other figures still count
        log.warning("bench: HTTP not measured for %s: %s", label, e)
        out["http_error"] = str(e)
    if compare_indexes:  # last: its index builds leave FAISS's worker threads busy a while
        out["index_choice"] = _compare_indexes(matcher, warm[:RECALL_QUERIES])
    drop_fresh(matcher)
    out["ranker"] = matcher.health().ranker.name
    return out


def _inprocess(
    matcher: Matcher, warm: list[str], fresh: FreshVacancies, setup: BenchSetup, home: Path
) -> dict[str, float]:
    """Warm and cold shortlists in-process, and both with exact brute-force retrieval."""
    out: dict[str, float] = {}
    n = setup.requests + COLD_WARMUP
    out |= _p("shortlist", shortlist_latency(matcher, warm))
    cold = cold_latency(matcher, fresh(n, "-i"))
    for name in ("shortlist", "encode_search", "encode"):
        out |= _p(f"{name}_cold", cold[name])
    exact = exact_matcher(matcher, home / f"exact-index-{model_slug(matcher.serving.model_id)}")
    out |= _p("exact", shortlist_latency(exact, warm))
    out |= _p("exact_cold", cold_latency(matcher, fresh(n, "-x"), shortlister=exact)["shortlist"])
    out["exact_ratio_p50"] = out["exact_p50_ms"] / out["shortlist_p50_ms"]
    out["exact_ratio_p50_cold"] = out["exact_p50_ms_cold"] / out["shortlist_p50_ms_cold"]
    return out


def bench_size(
    root: Path, size: int, setup: BenchSetup, compare_indexes: bool = False
) -> dict[str, object]:
    """Every figure of one size: the world's build, then each model's figures under
    `models`; the first model's (the default served one) also at the top level."""
    home, built = _world_matcher(root, size, setup)
    store = Store(bench_settings(home, setup.model_dir).db_url)
    out: dict[str, object] = {
        "size": store.count(Kind.JOBSEEKERS),
        "vacancies": len(_samples(store, 10**9, 0)),
        "world": built["world"],
        "requests": setup.requests,
    }
    models: dict[str, dict] = {}
    for i, (label, model) in enumerate(setup.models.items()):
        figures = bench_model(home, label, model, setup, compare_indexes and i == 0)
        figures["build"] = built["models"][model.model_id]
        models[label] = figures
        if i == 0:
            out |= figures
    out["models"] = models
    return out


def run(sizes: list[int], root: Path, setup: BenchSetup) -> list[dict]:
    """Benchmark every size; writes bench.json, bench.md and bench.png into `root` after
    each one. The largest size also compares index types on the first model's vectors."""
    from eval.bench_report import write_report

    results = []
    for size in sizes:
        figures = bench_size(root, size, setup, compare_indexes=size == max(sizes))
        results.append(figures)
        log.info("bench %s", json.dumps(figures))
        write_report(results, root)  # after every size: a long run reports as it goes
    return results
