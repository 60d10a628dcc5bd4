"""`werkmatch serve --workers 2`: two server processes on one data directory, both serving
shortlists under concurrent clients, and a clear refusal of a count below one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.cli import main
from eval.bench_http import STARTED, descendants, staff_keys, tls
from matching.config import Settings
from matching.records import Kind
from matching.store import Store
from tests.api.conftest import on_postgres, wait_healthy
from tests.postgres import PostgresServer, free_port


def _workers(pid: int) -> list[int]:
    """The worker processes uvicorn spawned (not multiprocessing's resource tracker)."""
    return [c for c in descendants(pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_two_worker_processes_share_the_shortlists(
    world_home: Path, tmp_path, model_dir, postgres: PostgresServer | None
):
    """On the pass's store: the small world's SQLite file, or a PostgreSQL copy of it."""
    home = tmp_path / "home"
    shutil.copytree(world_home, home)
    db_url = Settings(home=home, model_dir=model_dir).db_url
    if postgres is not None:
        db_url = on_postgres(home, postgres)
    store = Store(db_url)
    key = staff_keys(store, "workers")["matchmaker"]
    ids = sorted(store.ids(Kind.VACANCIES))[:40]
    log, port = tmp_path / "server.log", free_port()
    env = {
        **os.environ,
        "WERKMATCH_HOME": str(home),
        "WERKMATCH_MODEL_DIR": str(model_dir),
        "WERKMATCH_DATABASE_URL": db_url,
        "WERKMATCH_FOLLOW_EMBEDDER_CHAMPION": "false",
    }
    cmd = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, url, log, 300)
        workers = _workers(proc.pid)
        assert len(workers) == 2, log.read_text()[-2000:]
        before = {w: _cpu_ticks(w) for w in workers}

        def ask(vacancy_id: str) -> int:
            headers = {"Authorization": f"Bearer {key}", "X-Purpose": "test"}
            with httpx.Client(base_url=url, headers=headers, timeout=120, verify=tls()) as c:
                return c.get(f"/v1/vacancies/{vacancy_id}/shortlist").status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(ask, ids * 2))
        assert statuses == [200] * len(statuses)
        busy = {w: _cpu_ticks(w) - before[w] for w in workers}
        # both served a real share (their followers' polling alone costs a few ticks)
        assert all(ticks >= 0.15 * sum(busy.values()) for ticks in busy.values()), busy
    finally:
        proc.terminate()
        proc.wait(60)
    assert proc.returncode == 0 and not any(Path(f"/proc/{w}").exists() for w in workers)
    # one start-up line per worker: what `bench --workers` waits for before it measures
    assert log.read_bytes().count(STARTED) == 2


def test_fewer_than_one_worker_is_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["serve", "--workers", "0"])
    assert stop.value.code == 2
    assert "--workers: must be at least 1, not 0" in capsys.readouterr().err
