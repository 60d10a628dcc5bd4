"""The load harness end to end: a served copy of the small world under a few clients."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import eval.bench_http as bench_http
from eval.load import OPERATIONS, markdown, run_load
from matching.config import Settings


def test_load_bench_serves_every_operation_even_when_its_first_port_was_taken(
    world_home: Path, tmp_path: Path, model_dir: Path, monkeypatch
):
    """The server is offered a port another process holds first (as when it is taken between
    being found free and being bound): it starts again on another, and serves every operation."""
    home = tmp_path / "home"
    shutil.copytree(world_home, home)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        offered: list[int] = []

        def free_port() -> int:
            offered.append(taken if not offered else real())
            return offered[-1]

        real = bench_http._free_port
        monkeypatch.setattr(bench_http, "_free_port", free_port)
        load = run_load(Settings(home=home, model_dir=model_dir), clients=6, seconds=3)
    assert offered[0] == taken and len(offered) == 2  # one retry, on a port found free
    summary = load.summary()
    assert summary["errors"] == 0 and summary["requests"] >= len(OPERATIONS)
    assert all(summary[f"{op}_p50_ms"] > 0 for op in OPERATIONS)
    assert "| shortlist |" in markdown(summary, home)
