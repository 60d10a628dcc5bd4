"""A bulk ingest killed with SIGKILL: whole batches only, the index rebuildable, a resume.

The real `werkmatch ingest` runs in its own process on a real SQLite file and is killed
without warning, once while storing rows and once while embedding them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from matching.config import Settings
from matching.records import Kind
from matching.schema import TABLES, embeddings
from matching.service import Matcher
from matching.store import Store
from tests.factories import jobseeker

ROWS, BATCH = 600, 100
JOBS = ["kok", "heftruckchauffeur", "verpleegkundige", "timmerman", "schoonmaker"]


@pytest.fixture
def env(tmp_path: Path, model_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "WERKMATCH_HOME": str(tmp_path / "home"),
        "WERKMATCH_MODEL_DIR": str(model_dir),
        "WERKMATCH_INGEST_BATCH": str(BATCH),
    }


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.jsonl"
    with open(path, "w") as f:
        for i in range(ROWS):
            job = JOBS[i % 5]
            record = jobseeker(
                id=f"WZ-{i:05d}",
                desired_occupation=job,
                desired_esco_uri=None,
                cv_text=f"{i} jaar ervaring als {job}.",
            )
            f.write(record.model_dump_json() + "\n")
    return path


def ingest(env: dict[str, str], path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "ingest", "jobseekers", str(path)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def store_of(env: dict[str, str]) -> Store:
    return Store(Settings(home=Path(env["WERKMATCH_HOME"])).db_url)


def test_killed_while_storing_keeps_acknowledged_batches_whole_and_resumes(env, people):
    proc = ingest(env, people)
    acknowledged = 0
    for line in proc.stderr:
        if "ingest: committed" in line:
            acknowledged = int(line.rsplit("(", 1)[1].split()[0])
            if acknowledged >= 2 * BATCH:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    store = store_of(env)
    stored = store.ids(Kind.JOBSEEKERS)
    assert len(stored) >= acknowledged and len(stored) % BATCH == 0  # nothing half-written
    assert stored == [f"WZ-{i:05d}" for i in range(len(stored))]  # acknowledged ones all there
    table = TABLES[Kind.JOBSEEKERS]
    with store.engine.connect() as conn:
        conf = conn.execute(select(table.c.occupation_confidence)).scalars().all()
        revs_before = dict(conn.execute(select(table.c.id, table.c.rev)).tuples().all())
    assert all(c is not None for c in conf)  # occupations came in the same transaction
    # The index is rebuilt from the store by whoever opens it next.
    settings = Settings(home=Path(env["WERKMATCH_HOME"]), model_dir=env["WERKMATCH_MODEL_DIR"])
    m = Matcher(settings)
    m.prepare(progress=False)
    assert len(m.serving.indexer.index(Kind.JOBSEEKERS)) == len(stored)
    # Re-running the same file resumes: what was stored is not written again.
    resumed = ingest(env, people)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    assert store.count(Kind.JOBSEEKERS) == ROWS
    with store.engine.connect() as conn:
        revs_after = dict(conn.execute(select(table.c.id, table.c.rev)).tuples().all())
    assert all(revs_after[i] == r for i, r in revs_before.items())
    assert len(Matcher(settings).serving.indexer.index(Kind.JOBSEEKERS)) == ROWS


def test_killed_while_embedding_resumes_without_redoing_finished_chunks(env, people):
    proc = ingest(env, people)
    store = None
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if store is None and Path(env["WERKMATCH_HOME"], "werkmatch.db").exists():
            store = store_of(env)
        if store is not None and len(store.vectors.models()) and _vectors(store) >= 256:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    assert store.count(Kind.JOBSEEKERS) == ROWS
    done = _vector_revs(store)
    assert 0 < len(done) < ROWS and len(done) % 256 == 0  # whole embedding chunks only
    resumed = ingest(env, people)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    after = _vector_revs(store)
    assert len(after) == ROWS
    assert all(after[r] == rev for r, rev in done.items())  # finished chunks not redone


def _vectors(store: Store) -> int:
    return sum(store.vectors.models().values())


def _vector_revs(store: Store) -> dict[int, int]:
    with store.engine.connect() as conn:
        stmt = select(embeddings.c.rowid, embeddings.c.rev).where(embeddings.c.prompt == "passage")
        return dict(conn.execute(stmt).tuples().all())
