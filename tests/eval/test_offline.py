"""`werkmatch eval`: every method on the same candidates, intervals, splits, transfer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from eval.judge import Judge
from eval.offline import METHODS, evaluate
from eval.transfer import evaluate_transfer
from matching.config import Settings
from matching.outcomes import split_of
from matching.records import Kind
from matching.service import Matcher


@pytest.fixture(scope="module")
def ranked(ranked_home, tmp_path_factory, model_dir: Path, embedder) -> Matcher:
    source, _ = ranked_home
    home = tmp_path_factory.mktemp("evaluated") / "home"
    shutil.copytree(source, home)
    m = Matcher(Settings(home=home, model_dir=model_dir), embedder=embedder)
    m.prepare(progress=False)
    m.reload_ranker()
    return m


def test_every_method_has_an_interval_and_the_oracle_bounds_them(ranked):
    ev = evaluate(ranked, split=None, max_queries=40, progress=False)
    report = ev.as_json()
    assert report["queries"] > 5 and report["reverse"]["queries"] > 0
    for method in METHODS:
        v = report["ndcg@10"][method]
        assert v["ci95"][0] <= v["mean"] <= v["ci95"][1]
        assert set(report["recall@50"][method]) == {"mean", "ci95"}
    oracle = np.array(ev.forward.values["oracle"]["ndcg@10"])
    for method in ("cosine_filters", "hand_weighted", "ranker", "ranker_fair"):
        # the oracle orders the very same candidates by the truth: never worse, per query
        assert (oracle >= np.array(ev.forward.values[method]["ndcg@10"]) - 1e-12).all()
    assert set(report["exposure"]["ranker_fair"]) >= {"age_45_plus", "unemployed_12m_plus"}
    assert report["split"] == {
        "name": None,
        "jobseekers_disjoint": False,
        "vacancies_disjoint": False,
    }


def test_the_test_split_judges_and_retrieves_test_records_only(ranked, monkeypatch):
    judge = Judge(ranked, "test")
    for kind in (Kind.VACANCIES, Kind.JOBSEEKERS):
        assert judge.ids[kind] and all(split_of(i) == "test" for i in judge.ids[kind])
    import eval.offline

    asked: list[np.ndarray] = []
    real = eval.offline.retrieve

    def spy(ctx, record, among):
        assert split_of(record.id) == "test"
        asked.append(among)
        return real(ctx, record, among)

    monkeypatch.setattr(eval.offline, "retrieve", spy)
    report = evaluate(ranked, progress=False).as_json()
    assert report["split"]["jobseekers_disjoint"] and report["split"]["vacancies_disjoint"]
    allowed = set(judge.rowids[Kind.JOBSEEKERS].tolist()) | set(
        judge.rowids[Kind.VACANCIES].tolist()
    )
    assert asked and all(set(a.tolist()) <= allowed for a in asked)
    assert report["as_of"] == "2026-11-01"


def test_cli_prints_the_report_as_json(ranked, monkeypatch, capsys):
    from api.cli import main
    from matching.config import get_settings

    monkeypatch.setenv("WERKMATCH_HOME", str(ranked.settings.home))
    monkeypatch.setenv("WERKMATCH_MODEL_DIR", str(ranked.settings.embedding_model_dir))
    get_settings.cache_clear()
    try:
        assert main(["eval", "--json", "--no-transfer", "--max-queries", "10"]) == 0
    finally:
        get_settings.cache_clear()
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"ndcg@10", "recall@50", "mrr", "reverse", "exposure", "split"} <= set(report)
    assert set(report["split"]) >= {"jobseekers_disjoint", "vacancies_disjoint"}
    assert list(ranked.settings.reports_dir.glob("eval-*/quality.png"))


def test_transfer_world_is_perturbed_and_unseen(ranked):
    result = evaluate_transfer(ranked, ranked.ranker, progress=False, jobseekers=150, vacancies=40)
    assert result["world"] == "perturbed" and result["queries"] > 0
    assert "ranker" in result["ndcg@10"] and "reverse" in result
    params = json.loads((ranked.settings.home / "transfer" / "demo" / "params.json").read_text())
    assert params["w_skills"] != 2.0  # a different world, not a copy


def test_feature_ceiling_reads_validation_only_and_the_oracle_bounds_it(
    ranked, monkeypatch, capsys
):
    import eval.offline
    from api.cli import main
    from matching.config import get_settings

    real, asked = eval.offline.retrieve, []

    def spy(ctx, record, among):
        assert split_of(record.id) == "valid"
        asked.append(record.id)
        return real(ctx, record, among)

    monkeypatch.setattr(eval.offline, "retrieve", spy)
    monkeypatch.setenv("WERKMATCH_HOME", str(ranked.settings.home))
    monkeypatch.setenv("WERKMATCH_MODEL_DIR", str(ranked.settings.embedding_model_dir))
    get_settings.cache_clear()
    try:
        assert main(["feature-ceiling", "--json"]) == 0
    finally:
        get_settings.cache_clear()
    result = json.loads(capsys.readouterr().out)
    assert asked and result["split"] == "valid"
    assert result["fitted_queries"] > 0 and result["scored_queries"] > 0
    assert "unemployment_phase" not in result["features"]  # the served ranker's features
    nd = result["ndcg@10"]
    assert set(nd) == {
        "hand_weighted",
        "ranker",
        "truth_fitted_additive",
        "truth_fitted_trees",
        "oracle",
    }
    for method, v in nd.items():
        assert v["ci95"][0] <= v["mean"] <= v["ci95"][1]
        assert v["mean"] <= nd["oracle"]["mean"] + 1e-12, method
