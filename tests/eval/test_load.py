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
