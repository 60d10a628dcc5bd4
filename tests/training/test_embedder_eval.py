"""The embedder benchmark cache: figures computed once per model and exact inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from eval.titles import TitleMetrics
from training.embedder_eval import cached, evaluation_key

REPO = Path(__file__).resolve().parents[2]
QUERIES = [("q1", "kok"), ("q2", "bakker")]
CORPUS = [("a", "kok"), ("b", "bakker")]
QRELS = {"q1": {"a"}, "q2": {"b"}}


def test_figures_are_computed_once_and_read_back_equal(tmp_path: Path):
    calls = []

    def compute() -> TitleMetrics:
        calls.append(1)
        return TitleMetrics(mrr=0.75, ndcg10=0.8125, recall10=1.0, queries=2)

    first = cached(tmp_path / "m" / "dev-x.json", compute)
    again = cached(tmp_path / "m" / "dev-x.json", compute)
    assert again == first and len(calls) == 1
    assert [p.name for p in (tmp_path / "m").iterdir()] == ["dev-x.json"]  # no temp file left


def test_the_key_changes_with_the_model_and_with_every_input():
    base = evaluation_key("e5/fp32", (QUERIES, CORPUS, QRELS))
    assert base == evaluation_key("e5/fp32", (QUERIES, CORPUS, dict(reversed(QRELS.items()))))
    assert base != evaluation_key("e5/bf16", (QUERIES, CORPUS, QRELS))
    assert base != evaluation_key("e5/fp32", (QUERIES[:1], CORPUS, QRELS))
    assert base != evaluation_key("e5/fp32", (QUERIES, CORPUS[::-1], QRELS))
    assert base != evaluation_key("e5/fp32", (QUERIES, CORPUS, {"q1": {"b"}, "q2": {"b"}}))


def test_the_key_is_the_same_in_every_process():
    """Sets of judged ids print in hash order, which changes per process: the key must not."""
    code = (
        "from training.embedder_eval import evaluation_key as k;"
        "print(k('m', ([], [], {'q': {'kok', 'bakker', 'slager', 'visser', 'smid'}})))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=os.environ | {"PYTHONHASHSEED": str(seed), "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2)
    }
    assert len(keys) == 1
