"""The benchmark harness end to end on a small world: both serving models, cold and warm
queries in-process and over HTTP at every level of concurrency, a second checkout compared
(this one again), the report written, and a reused world labelled as such. Speed itself is
never asserted here; `werkmatch bench` measures it."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from api.cli import main
from api.cli.bench import _is_checkout
from eval import bench_http
from eval.bench import BenchSetup, bench_size
from eval.bench_http import REPO
from eval.bench_report import write_report
from eval.bench_world import FRESH_PREFIX, FreshVacancies
from matching.records import Kind
from matching.store import Store
from models.embedder import Embedder

HEADLINE = {
    "shortlist_p99_ms_cold",
    "encode_search_p99_ms_cold",
    "shortlist_p99_ms",
    "http_rps_16_clients",
    "http_p99_ms_50_clients",
    "recall_at_100",
}
KEYS = HEADLINE | {
    "shortlist_p50_ms",
    "shortlist_p50_ms_cold",
    "encode_p99_ms_cold",
    "exact_p50_ms",
    "exact_p99_ms_cold",
    "http_p50_ms",
    "http_p99_ms",
    "http_p99_ms_1_clients",
    "http_rps_4_clients",
    "http_post_p50_ms",
    "recall_at_100_filtered",
    "index_bytes_per_profile",
    "server_rss_mb",
    "server_start_s",
}


def test_fresh_vacancies_are_new_each_call():
    fresh = FreshVacancies(11, "t", chunk=5)
    a, b = fresh(4), fresh(4, "-x")
    ids = [v["id"] for v in a + b]
    assert len(set(ids)) == 8 and all(i.startswith(FRESH_PREFIX) for i in ids)
    assert b[0]["id"].endswith("-x") and {v["description"] for v in a}.isdisjoint(
        {v["description"] for v in b}
    )


def test_bench_size_measures_both_models_cold_and_warm(
    tmp_path: Path, tiny_static: Embedder, embedder: Embedder, model_dir: Path
):
    models = {"e5": embedder, "static": tiny_static}
    setup = BenchSetup(models, model_dir, requests=6, vacancies=30, progress=False)
    figures = bench_size(tmp_path, 400, setup, compare_indexes=True)
    assert set(figures) >= KEYS and figures["model"] == "e5"
    assert figures["size"] == 400 and figures["embedder"] == embedder.model_id
    for label, model in models.items():
        got = figures["models"][label]
        assert set(got) >= KEYS and got["dim"] == model.dim
        assert all(got[k] > 0 for k in KEYS if k.endswith(("_ms", "_ms_cold", "_mb", "_s")))
        assert got["recall_at_100"] == 1.0 and got["index_type"] == "IDMap2,Flat"
        assert got["build"]["model_id"] == model.model_id and got["build"]["built_at"]
        assert got["build"]["embed_texts_per_s"] > 0 and not got["build"]["reused"]
    store = Store(f"sqlite:///{tmp_path / 'world-400' / 'werkmatch.db'}")
    assert not [i for i in store.ids(Kind.VACANCIES) if i.startswith(FRESH_PREFIX)]
    specs = [row["spec"] for row in figures["index_choice"]]
    assert specs[0] == "Flat (exact)" and any(s.startswith("IVF") for s in specs)
    text = write_report([figures], tmp_path).read_text()
    assert "| recall@100 vs exact | 1.000 |" in text and "## Index choice" in text
    assert "## static:" in text and "HTTP cold req/s, 50 clients" in text
    assert (tmp_path / "bench.png").stat().st_size > 10_000
    saved = json.loads((tmp_path / "bench.json").read_text())[0]
    assert not math.isnan(saved["shortlist_p99_ms_cold"])


def test_another_checkout_compared_and_a_reused_world_labelled(
    tmp_path: Path, tiny_static: Embedder, model_dir: Path
):
    setup = BenchSetup(
        {"static": tiny_static},
        model_dir,
        requests=3,
        vacancies=20,
        levels=(2,),
        compare=REPO,
        progress=False,
    )
    first = bench_size(tmp_path, 200, setup)
    compared = first["compare"]
    assert compared["checkout"] == str(REPO) and compared["other"]["http_rps_2_clients"] > 0
    assert set(compared["ratio"]) >= {"http_p99_ms_2_clients", "http_rps_2_clients"}
    assert "other checkout" in write_report([first], tmp_path).read_text()
    again = bench_size(tmp_path, 200, replace(setup, compare=None))
    assert not first["build"]["reused"] and again["build"]["reused"]
    assert again["build"]["built_at"] == first["build"]["built_at"]
    assert again["build"]["embed_texts_per_s"] == first["build"]["embed_texts_per_s"]
    assert again["world"]["reused"] and "(reused)" in write_report([again], tmp_path).read_text()
    assert set(again) >= {"http_rps_2_clients", "shortlist_p99_ms_cold"}


def test_compare_takes_a_checkout_of_either_cli_layout_and_refuses_other_folders(tmp_path):
    """`--compare` accepts today's layout and the one before the redesign (api/cli.py, as at
    2c3c529, the issue's baseline); any other folder is refused before anything is built."""
    old, new, other = tmp_path / "old", tmp_path / "new", tmp_path / "other"
    (old / "api").mkdir(parents=True)
    (old / "api" / "cli.py").write_text("")
    (new / "api" / "cli").mkdir(parents=True)
    (new / "api" / "cli" / "__main__.py").write_text("")
    (other / "api").mkdir(parents=True)
    assert _is_checkout(old) and _is_checkout(new) and _is_checkout(REPO)
    assert not _is_checkout(other)
    with pytest.raises(SystemExit, match="is not a werkmatch checkout"):
        main(["bench", "--sizes", "10", "--compare", str(other)])


def test_bench_workers_reach_the_setup_and_fewer_than_one_is_refused(monkeypatch, capsys):
    """`werkmatch bench --workers N` hands N to the benchmark (nothing is built here)."""
    import eval.bench
    import matching.embedders
    import models.registry
    from api.cli import bench as cli_bench

    seen: list[BenchSetup] = []
    monkeypatch.setattr(cli_bench, "_models", lambda args, s, root: {})
    monkeypatch.setattr(matching.embedders, "base_embedder", lambda s: SimpleNamespace(path=None))
    monkeypatch.setattr(models.registry, "load_champion", lambda *a: None)
    monkeypatch.setattr(eval.bench, "run", lambda sizes, root, setup: seen.append(setup) or [])
    assert main(["bench", "--sizes", "10", "--workers", "2", "--json"]) == 0
    assert main(["bench", "--sizes", "10", "--json"]) == 0
    assert [s.workers for s in seen] == [2, 1]
    with pytest.raises(SystemExit) as stop:
        main(["bench", "--workers", "0"])
    assert stop.value.code == 2 and "must be at least 1, not 0" in capsys.readouterr().err


def test_the_compared_checkout_serves_the_ranker_of_its_own_store(tmp_path, monkeypatch):
    """`--compare-mlflow`: each server is started with its own MLflow store (the old code
    cannot read today's ranker), and without it both share this one's. `--workers`: this
    checkout's server runs that many processes, the compared one always one."""
    started: list[tuple[Path, str | None]] = []
    processes: list[int] = []

    @contextlib.contextmanager
    def fake_serving(home, model_dir, tracking_uri, checkout, workers):
        started.append((checkout, tracking_uri))
        processes.append(workers)
        yield "http://127.0.0.1:1", 1, 0.5

    def fake_measure(servers, *args, **kwargs):
        for s in servers:
            s.figures["http_rps_16_clients"] = 10.0

    monkeypatch.setattr(bench_http, "serving", fake_serving)
    monkeypatch.setattr(bench_http, "measure", fake_measure)
    old = tmp_path / "old"
    args = (tmp_path, tmp_path, "sqlite:///this.db", {}, None, [], 1)
    out = bench_http.http_figures(*args, compare=old, compare_tracking_uri="sqlite:///old.db")
    assert started == [(REPO, "sqlite:///this.db"), (old, "sqlite:///old.db")]
    assert out["compare"]["ratio"]["http_rps_16_clients"] == 1.0
    assert processes == [1, 1] and out["server_workers"] == 1
    started.clear()
    processes.clear()
    out = bench_http.http_figures(*args, compare=old, workers=2)
    assert started == [(REPO, "sqlite:///this.db"), (old, "sqlite:///this.db")]
    assert processes == [2, 1] and out["server_workers"] == 2
    assert out["compare"]["other"]["server_workers"] == 1
    assert "server_workers" not in out["compare"]["ratio"]  # a setting, not a figure


def test_server_memory_counts_its_worker_processes():
    """A server with workers is a supervisor and its children: the memory figure is theirs
    together, not the supervisor's alone."""
    child = "import time; block = b'x' * 40_000_000; time.sleep(120)"  # ~40 MB resident
    code = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(120)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the child holds its block
            children = bench_http.descendants(parent.pid)
            if children and bench_http.rss_mb(children[0]) > 40:
                break
            time.sleep(0.1)
        assert len(children) == 1 and bench_http.descendants(children[0]) == []
        alone = next(  # the supervisor's own VmRSS, in MB
            int(line.split()[1]) / 1024
            for line in Path(f"/proc/{parent.pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        child_mb = bench_http.rss_mb(children[0])
        assert child_mb > 40
        assert bench_http.rss_mb(parent.pid) == pytest.approx(alone + child_mb, abs=2)
    finally:
        for pid in bench_http.descendants(parent.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        parent.kill()
        parent.wait()


def test_a_server_with_workers_is_measured_once_every_worker_has_started():
    """/health answers when the first worker serves; the bench waits for every worker's
    start-up line (tests/api/test_workers.py checks that each worker writes one)."""

    class Running:
        def poll(self) -> None:
            return None

    with tempfile.TemporaryFile() as err:
        err.write(b'{"message": "Application startup complete."}\n')
        err.flush()  # as the server's own writes are, straight to the file
        bench_http._wait_started(1, Running(), time.monotonic() + 5, err)  # one is enough
        with pytest.raises(RuntimeError, match="not all 2 workers"):
            bench_http._wait_started(2, Running(), time.monotonic() + 0.6, err)
        err.write(b'{"message": "Application startup complete."}\n')
        err.flush()
        bench_http._wait_started(2, Running(), time.monotonic() + 5, err)
