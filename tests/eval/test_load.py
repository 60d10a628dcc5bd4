"""The load harness end to end: a served copy of the small world under a few clients."""

from __future__ import annotations

import shutil
from pathlib import Path

from eval.load import OPERATIONS, markdown, run_load
from matching.config import Settings


def test_load_bench_serves_every_operation_without_errors(
    world_home: Path, tmp_path: Path, model_dir: Path
):
    home = tmp_path / "home"
    shutil.copytree(world_home, home)
    summary = run_load(Settings(home=home, model_dir=model_dir), clients=6, seconds=3).summary()
    assert summary["errors"] == 0 and summary["requests"] >= len(OPERATIONS)
    assert all(summary[f"{op}_p50_ms"] > 0 for op in OPERATIONS)
    assert "| shortlist |" in markdown(summary, home)


def test_a_server_whose_port_was_taken_starts_again_on_another(tmp_path, model_dir, monkeypatch):
    import socket

    import httpx

    import eval.bench_http as bench_http

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        ports = iter([taken])
        real = bench_http._free_port
        monkeypatch.setattr(bench_http, "_free_port", lambda: next(ports, None) or real())
        with bench_http.serving(tmp_path / "home", model_dir, None) as (url, _, _):
            assert not url.endswith(f":{taken}")
            assert httpx.get(f"{url}/health", timeout=30).status_code == 200
