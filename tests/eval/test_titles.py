"""TREC run format, the title CLI, and title metrics on a hand-computed example."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from api.cli import main
from eval.titles import evaluate_run, read_qrels, read_run, read_titles
from matching.config import get_settings


def test_metrics_by_hand(tmp_path: Path):
    (tmp_path / "run.txt").write_text(
        "q1 Q0 x 1 0.9 t\nq1 Q0 a 2 0.8 t\nq1 Q0 b 3 0.7 t\nq2 Q0 c 1 0.5 t\n"
    )
    (tmp_path / "qrels.txt").write_text("q1 0 a 1\nq1 0 b 1\nq1 0 z 0\nq2 0 d 1\n")
    m = evaluate_run(read_run(tmp_path / "run.txt"), read_qrels(tmp_path / "qrels.txt"))
    # q1: first relevant at rank 2 -> RR 1/2; q2: none -> 0.  MRR = 0.25
    assert m.mrr == pytest.approx(0.25)
    # q1 NDCG@10: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3); q2: 0
    q1 = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert m.ndcg10 == pytest.approx(q1 / 2)
    assert m.recall10 == pytest.approx((2 / 2 + 0) / 2)
    assert m.queries == 2


def test_readers_refuse_malformed_files(tmp_path: Path):
    (tmp_path / "bad.tsv").write_text("only-an-id\n")
    with pytest.raises(ValueError, match="expected id<TAB>title"):
        read_titles(tmp_path / "bad.tsv")
    (tmp_path / "bad.run").write_text("q1 Q0 a 1\n")
    with pytest.raises(ValueError, match="qid Q0 docid rank score tag"):
        read_run(tmp_path / "bad.run")


@pytest.fixture
def env(tmp_path: Path, model_dir: Path, monkeypatch):
    monkeypatch.setenv("WERKMATCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WERKMATCH_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_rank_titles_writes_a_trec_run_and_eval_reads_it(env, tmp_path: Path, capsys):
    q = tmp_path / "q.tsv"
    c = tmp_path / "c.tsv"
    q.write_text("q1\tHeftruckchauffeur (m/v)\nq2\tverpleegkundige ouderenzorg\nq3\t(m/v)\n")
    c.write_text("d1\tchauffeur heftruck\nd2\tverpleegkundige\nd3\tkok\nd4\tbakker\n")
    assert main(["rank-titles", "--queries", str(q), "--corpus", str(c), "--top", "3"]) == 0
    out, err = capsys.readouterr()
    lines = [line.split() for line in out.strip().splitlines()]
    assert all(len(parts) == 6 and parts[1] == "Q0" and parts[5] == "werkmatch" for parts in lines)
    q1 = [p for p in lines if p[0] == "q1"]
    assert [p[3] for p in q1] == ["1", "2", "3"] and q1[0][2] == "d1"
    assert [float(p[4]) for p in q1] == sorted((float(p[4]) for p in q1), reverse=True)
    assert "q3" in err  # empty after cleaning: reported, not ranked
    run = tmp_path / "run.txt"
    run.write_text(out)
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d1 1\nq2 0 d2 1\n")
    assert main(["eval-titles", "--run", str(run), "--qrels", str(qrels)]) == 0
    assert "MRR\t1.0000" in capsys.readouterr().out
    assert main(["eval-titles", "--run", str(tmp_path / "missing"), "--qrels", str(qrels)]) == 2
