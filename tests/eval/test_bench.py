"""The benchmark harness end to end on a small world: every figure produced, the report
written. Speed itself is never asserted here; `werkmatch bench` measures it."""

from __future__ import annotations

import json
import math
from pathlib import Path

from eval.bench import BenchSetup, bench_size
from eval.bench_report import write_report
from models.embedder import Embedder

KEYS = {
    "size",
    "shortlist_p50_ms",
    "shortlist_p99_ms",
    "http_p50_ms",
    "http_p99_ms",
    "recall_at_100",
    "recall_at_100_filtered",
    "index_bytes_per_profile",
    "embed_texts_per_s",
    "embed_e5_texts_per_s",
    "ingest_records_per_s",
    "index_build_s",
    "exact_p50_ms",
    "server_rss_mb",
    "server_start_s",
}


def test_bench_size_measures_every_stage(tmp_path: Path, tiny_static: Embedder, embedder):
    setup = BenchSetup(static=tiny_static, e5=embedder, requests=25, progress=False)
    figures = bench_size(tmp_path, 400, setup, compare_indexes=True)
    assert set(figures) >= KEYS
    assert figures["size"] == 400 and figures["dim"] == tiny_static.dim
    assert all(figures[k] > 0 for k in KEYS if k.endswith(("_ms", "_per_s", "_mb", "_s")))
    assert figures["recall_at_100"] == 1.0  # 400 vectors: the exact index
    assert figures["index_type"] == "IDMap2,Flat"
    specs = [row["spec"] for row in figures["index_choice"]]
    assert specs[0] == "Flat (exact)" and any(s.startswith("IVF") for s in specs)
    assert all(0 <= row["recall_at_100"] <= 1 for row in figures["index_choice"])
    path = write_report([figures], tmp_path)
    text = path.read_text()
    assert "| recall@100 vs exact | 1.000 |" in text and "## Index choice" in text
    assert (tmp_path / "bench.png").stat().st_size > 10_000
    saved = json.loads((tmp_path / "bench.json").read_text())[0]
    assert saved["size"] == 400 and not math.isnan(saved["shortlist_p50_ms"])
