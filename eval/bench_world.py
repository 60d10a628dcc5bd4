"""The benchmark's data: one demo world per size, embedded by each model, and fresh vacancies.

A world is generated and ingested once; each model embeds it and builds its indexes once.
Every build figure is kept in `world.json` with what produced it (the model id) and when, so
a reused world reports its build figures as the earlier build's, never as the current run's.
Fresh vacancies are made for cold queries: texts no query vector was ever computed for.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from demo.world import generate
from matching.config import Settings
from matching.ingest import IngestReport
from matching.records import Kind
from matching.service import Matcher
from matching.timing import stage
from models.embedder import Embedder

log = logging.getLogger("werkmatch")

WORLD_FILE = "world.json"
FRESH_PREFIX = "BENCH-"  # ids of the vacancies the benchmark posts (removed afterwards)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def bench_settings(home: Path, model_dir: Path) -> Settings:
    """Settings of a benchmark world: the served embedder pinned (the benchmark picks it)."""
    return Settings(home=home, model_dir=model_dir, follow_embedder_champion=False, retrieve_n=500)


def _read(home: Path) -> dict:
    path = home / WORLD_FILE
    data = json.loads(path.read_text()) if path.exists() else {}
    return data if "world" in data else {"models": {}}  # an older bench's file: unlabelled


def build_world(
    home: Path, size: int, models: dict[str, Embedder], settings: Settings, **opts: object
) -> dict:
    """A data directory of `size` jobseekers embedded and indexed by every model; returns
    world.json: {"world": figures, "models": {model id: figures}}, each with `built_at`,
    and `reused` true where this run did not build it. `opts`: seed, vacancies, progress."""
    home.mkdir(parents=True, exist_ok=True)
    record = _read(home)
    progress = bool(opts.get("progress", True))
    matcher = Matcher(settings, embedder=next(iter(models.values())))
    if matcher.store.count(Kind.JOBSEEKERS) < size:
        record = {"world": _ingest(matcher, size, **opts), "models": {}}
    elif "world" not in record:
        record["world"] = {"built_at": None, "note": "built by an older benchmark"}
    else:
        record["world"]["reused"] = True
    for label, model in models.items():
        built = record["models"].get(model.model_id)
        if built is None:
            built = _embed_and_index(Matcher(settings, embedder=model), label, progress)
        else:
            built["reused"] = True
        record["models"][model.model_id] = built
    stored = {"world": {**record["world"], "reused": False}, "models": {}}
    stored["models"] = {k: {**v, "reused": False} for k, v in record["models"].items()}
    (home / WORLD_FILE).write_text(json.dumps(stored, indent=2))
    return record


def _ingest(
    matcher: Matcher, size: int, seed: int = 5, vacancies: int = 300, progress: bool = True
) -> dict:
    """Generate and store the world (not embedded); its figures."""
    n_vac = max(vacancies, size // 100)
    with stage() as took:
        world = generate(
            size, n_vac, seed=seed, progress=progress, max_outcome_vacancies=min(n_vac, 300)
        )
    figures = {"built_at": now(), "seed": seed, "generate_s": took.seconds, "reused": False}
    with stage() as took:
        for kind, frame in ((Kind.VACANCIES, world.vacancies), (Kind.JOBSEEKERS, world.jobseekers)):
            report = IngestReport(kind=kind.value)
            matcher.ingest_rows(kind, frame.iter_rows(named=True), report, progress, embed=False)
    figures["ingest_records_per_s"] = (size + n_vac) / took.seconds
    matcher.store.ledger.add_outcomes(
        {**r, "source": "demo"} for r in world.outcomes.iter_rows(named=True)
    )
    return figures


def _embed_and_index(matcher: Matcher, label: str, progress: bool) -> dict:
    """Embed every text with the matcher's model and build its indexes, timed."""
    model = matcher.serving.embedder
    with stage() as took:
        texts = sum(matcher.serving.indexer.embed_pending(k, progress=progress) for k in Kind)
    embed = took.seconds
    with stage() as took:
        matcher.prepare(progress=progress)  # builds both indexes from the store's vectors
    figures: dict = {"label": label, "model_id": model.model_id, "built_at": now()}
    if texts < matcher.store.count(Kind.JOBSEEKERS):  # vectors there already: not this build's
        figures |= {"embed_texts_per_s": None, "index_build_s": None, "note": "vectors existed"}
    else:
        figures |= {"embed_texts_per_s": texts / embed, "index_build_s": took.seconds}
    figures["reused"] = False
    log.info("bench: %s embedded %d texts in %.0f s", label, texts, embed)
    return figures


class FreshVacancies:
    """New vacancies for cold queries: demo vacancies of their own seed, ids `BENCH-...`,
    open; each call returns vacancies not returned before (the suffix keeps ids apart)."""

    def __init__(self, seed: int, tag: str, chunk: int = 200) -> None:
        self.seed, self.tag, self.chunk = seed, tag, chunk
        self._pool: list[dict] = []
        self._made = 0

    def __call__(self, n: int, suffix: str = "") -> list[dict]:
        while len(self._pool) < n:
            self._refill()
        out, self._pool = self._pool[:n], self._pool[n:]
        return [{**b, "id": b["id"] + suffix} for b in out]

    def _refill(self) -> None:
        world = generate(
            5, self.chunk, seed=self.seed + self._made, progress=False, max_outcome_vacancies=1
        )
        for row in world.vacancies.iter_rows(named=True):
            self._made += 1
            body = {k: v for k, v in row.items() if v is not None}
            body["posted_date"] = str(body["posted_date"])
            body |= {"id": f"{FRESH_PREFIX}{self.tag}-{self._made:06d}", "status": "open"}
            self._pool.append(body)


def drop_fresh(matcher: Matcher) -> int:
    """Remove every vacancy the benchmark posted (also those of an interrupted run)."""
    ids = [i for i in matcher.store.ids(Kind.VACANCIES) if i.startswith(FRESH_PREFIX)]
    for vid in ids:
        matcher.delete(Kind.VACANCIES, vid)
    return len(ids)
