"""The Ray batch path in local mode (real Ray, real model, real FAISS): it embeds and
indexes a world as the single-process path does, and a killed job resumes without redoing
the partitions it finished."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from demo.world import DemoWorld
from matching.cluster import plan, run_on_ray
from matching.config import Settings
from matching.embedders import EmbedderRef
from matching.records import RECORD_CLASS, Kind
from matching.service import Matcher
from matching.sharded_index import ShardedIndex, open_index
from matching.store import Store
from models.embedder import Embedder, model_slug

REPO = Path(__file__).resolve().parents[2]
JOBSEEKERS, VACANCIES = 120, 40


@pytest.fixture(scope="session")
def ray_address():
    """One local Ray for every Ray test: 2 CPUs, no dashboard, a short temp dir of its own."""
    import ray

    temp = tempfile.mkdtemp(prefix="wm-ray-", dir="/tmp")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


def pending_world(home: Path, model_dir: Path, world: DemoWorld, **options) -> Settings:
    """A data directory holding part of the small world's records, none embedded."""
    settings = Settings(home=home, model_dir=model_dir, embed_batch_size=32, **options)
    settings.ensure_dirs()
    store = Store(settings.db_url)
    for kind, frame, n in (
        (Kind.JOBSEEKERS, world.jobseekers, JOBSEEKERS),
        (Kind.VACANCIES, world.vacancies, VACANCIES),
    ):
        cls = RECORD_CLASS[kind]
        rows = frame.head(n).iter_rows(named=True)
        store.upsert(
            [cls.model_validate({k: v for k, v in r.items() if v is not None}) for r in rows]
        )
    return settings


def test_ray_job_embeds_and_indexes_as_one_process_does(
    tmp_path, model_dir, embedder: Embedder, small_world, ray_address, world_home
):
    """The same vectors as one process's: the shared small world's, embedded by `prepare`
    from the same records (its first rows are this world's; vectors count only where the
    record's text hash matches)."""
    settings = pending_world(tmp_path / "ray", model_dir, small_world, exact_index_max=50)
    ref = EmbedderRef("base", model_dir)
    report = run_on_ray(settings, ref, workers=2, rows=25)
    assert report.partitions == 5 + 2 and report.embedded == JOBSEEKERS + VACANCIES
    assert report.workers_seen == 2
    assert report.indexes == {"jobseekers": JOBSEEKERS, "vacancies": VACANCIES}
    store = Store(settings.db_url)
    one = Store(Settings(home=world_home, model_dir=model_dir).db_url)
    for kind, n in ((Kind.JOBSEEKERS, JOBSEEKERS), (Kind.VACANCIES, VACANCIES)):
        assert store.vectors.count_pending(kind, embedder.model_id) == 0
        ids, vectors = store.vectors.load(kind, embedder.model_id)
        ids_one, vectors_one = one.vectors.load(kind, embedder.model_id, rowids=ids.tolist())
        assert store.ids(kind) == one.ids(kind)[:n] and np.array_equal(ids, ids_one)
        assert np.allclose(vectors, vectors_one, atol=2e-3), np.abs(vectors - vectors_one).max()
    saved = open_index(settings.indexes_dir / model_slug(embedder.model_id), "jobseekers")
    assert saved.meta.spec.startswith("IVF") and saved.meta.count == JOBSEEKERS
    served = Matcher(settings, embedder=embedder).serving.indexer.index(Kind.JOBSEEKERS)
    assert served.meta.built_at == saved.meta.built_at  # opened as saved, not rebuilt
    ids, vectors = store.vectors.load(Kind.JOBSEEKERS, embedder.model_id)
    assert (served.search(vectors[:10], 1)[1][:, 0] == ids[:10]).all()


def stored_rowids(store: Store, model_id: str) -> dict[str, set[int]]:
    return {k.value: set(store.vectors.load(k, model_id)[0].tolist()) for k in Kind}


def wait_until_steady(store: Store, model_id: str, seconds: float = 4.0) -> dict:
    """The stored vectors once nothing has been written for `seconds` (a worker of the
    killed job may finish the partition it was writing before Ray ends it)."""
    last, since = stored_rowids(store, model_id), time.monotonic()
    while time.monotonic() - since < seconds:
        time.sleep(0.5)
        now = stored_rowids(store, model_id)
        if now != last:
            last, since = now, time.monotonic()
    return last


def test_killed_job_resumes_without_redoing_finished_partitions(
    tmp_path, model_dir, embedder: Embedder, small_world, ray_address
):
    options = {"exact_index_max": 50, "index_shards": 2}
    settings = pending_world(tmp_path / "home", model_dir, small_world, **options)
    store, model_id = Store(settings.db_url), embedder.model_id
    first_plan = [p for k in Kind for p in plan(store, k, model_id, 10)]
    assert len(first_plan) == 12 + 4
    env = os.environ | {
        "PYTHONPATH": str(REPO),
        "WERKMATCH_HOME": str(settings.home),
        "WERKMATCH_MODEL_DIR": str(model_dir),
        "WERKMATCH_EMBED_BATCH_SIZE": "32",
        "WERKMATCH_EXACT_INDEX_MAX": "50",
        "WERKMATCH_INDEX_SHARDS": "2",
    }
    args = ["embed", "--engine", "ray", "--address", ray_address, "--workers", "1"]
    with open(tmp_path / "job.log", "wb") as log:
        job = subprocess.Popen(
            [sys.executable, "-m", "api.cli", *args, "--partition-rows", "10"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 600
        while job.poll() is None and not any(stored_rowids(store, model_id).values()):
            assert time.monotonic() < deadline, "the job wrote nothing in 10 minutes"
            time.sleep(0.1)
        job.kill()  # SIGKILL: no clean-up of any kind
        job.wait()
    assert job.returncode == -9, (tmp_path / "job.log").read_text()[-2000:]
    before = wait_until_steady(store, model_id)
    done_before = sum(len(v) for v in before.values())
    assert 0 < done_before < JOBSEEKERS + VACANCIES  # killed half-way
    # one worker: the resumed plan is what is checked here (two workers are the test above's)
    report = run_on_ray(settings, EmbedderRef("base", model_dir), workers=1, rows=10)
    assert report.embedded == JOBSEEKERS + VACANCIES - done_before
    assert report.partitions < len(first_plan)
    for kind, after, upto in report.done:  # no finished partition was embedded again
        assert not any(after < r <= upto for r in before[kind])
    assert all(store.vectors.count_pending(k, model_id) == 0 for k in Kind)
    index = Matcher(settings, embedder=embedder).serving.indexer.index(Kind.JOBSEEKERS)
    assert isinstance(index, ShardedIndex) and len(index) == JOBSEEKERS
    assert index.meta.shards == 2 and index.meta.spec.startswith("IVF")
