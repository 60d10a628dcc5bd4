"""End to end: train on outcomes -> MLflow registry -> champion rules -> served shortlist."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.cli import main
from matching.config import Settings, get_settings
from matching.outcomes import pair_split, split_of
from matching.query import nearest
from matching.records import Kind
from matching.service import Matcher
from models.registry import champion_version, load_champion, load_version
from training.ranker_data import build_training_set
from training.train_ranker import train


@pytest.fixture(scope="module")
def trained(ranked_home: tuple[Path, dict], tmp_path_factory, model_dir: Path, embedder):
    source, first = ranked_home
    home = tmp_path_factory.mktemp("trained") / "home"
    shutil.copytree(source, home)
    m = Matcher(Settings(home=home, model_dir=model_dir), embedder=embedder)
    m.prepare(progress=False)
    return m, first


def test_split_is_stable_and_covers_both_kinds():
    assert split_of("VAC-000001") == split_of("VAC-000001")
    for prefix in ("VAC-", "WZ-"):
        shares = [split_of(f"{prefix}{i:06d}") for i in range(4000)]
        assert 0.55 < shares.count("train") / 4000 < 0.65
        assert 0.17 < shares.count("test") / 4000 < 0.23


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_a_pair_is_test_when_either_side_is_and_train_only_when_both_are(v, j):
    sides = {split_of(v), split_of(j)}
    expected = "test" if "test" in sides else ("train" if sides == {"train"} else "valid")
    assert pair_split(v, j) == expected


def test_training_set_holds_no_test_record_in_either_direction(trained):
    m, _ = trained
    data = build_training_set(m, negatives_per_vacancy=3, progress=False)
    assert set(data["split"]) <= {"train", "valid"}
    assert all(split_of(v) != "test" for v in data["vacancy_id"].unique())
    assert all(split_of(j) != "test" for j in data["jobseeker_id"].unique())
    train = data.filter(pl.col("split") == "train")
    assert all(split_of(v) == "train" for v in train["vacancy_id"].unique())
    assert all(split_of(j) == "train" for j in train["jobseeker_id"].unique())
    assert set(data["direction"]) == {"jobseekers", "vacancies"}
    assert set(data["outcome"]) >= {"placed", "rejected", "unlabelled"}
    assert set(data["label"]) == {0, 1}
    ctx = m.context()  # negatives: unlabelled, 3 at most, drawn from the nearest 200 eligible
    for query_id, group in list(data.partition_by("query_id", as_dict=True).items())[:40]:
        direction = group["direction"][0]
        kind = Kind.VACANCIES if direction == "jobseekers" else Kind.JOBSEEKERS
        other = "jobseeker_id" if kind == Kind.VACANCIES else "vacancy_id"
        drawn = set(group.filter(pl.col("outcome") == "unlabelled")[other])
        labelled = set(group.filter(pl.col("outcome") != "unlabelled")[other])
        found = nearest(ctx, m.store.get(kind, query_id[0]))[1]
        nearest_ids = {r.id for r in found.records[:200]}
        assert len(drawn) <= 3 and drawn <= nearest_ids and not drawn & labelled


def test_training_and_promotion_never_read_the_test_split(trained, monkeypatch):
    m, _ = trained
    import eval.judge
    import eval.offline

    def forbidden(*args, **kwargs):
        raise AssertionError("training read the held-out evaluation")

    monkeypatch.setattr(eval.offline, "evaluate", forbidden)
    monkeypatch.setattr(eval.judge.Judge, "__init__", forbidden)
    seen: list[str] = []
    real = m.store.rowids

    def spy(kind, record_ids):
        seen.extend(record_ids)
        return real(kind, record_ids)

    monkeypatch.setattr(m.store, "rowids", spy)  # how queries and labelled pairs are read
    summary = train(m, progress=False, max_iter=30, promote_if_better=False)
    assert seen and all(split_of(i) != "test" for i in seen)  # never a test record
    assert set(summary["pairs"]) == {"train", "valid"}


def test_first_model_becomes_champion_and_is_served(trained):
    m, first = trained
    assert first["promoted"] and first["kind"] == "boosted_gam"
    assert champion_version(m.settings.tracking_uri, m.settings.home) == first["version"]
    assert set(first["valid_ndcg@10"]) == {"boosted_gam", "spline_logistic", "boosted_trees"}
    health = m.health().as_dict()
    assert health["ranker"]["version"] == first["version"]
    vid = next(v for v in m.store.ids(Kind.VACANCIES) if m.shortlist(v, k=5).items)
    result = m.shortlist(vid, k=5)
    assert result.ranker.endswith(f"v{first['version']}")
    for item in result.items:
        assert item.score == pytest.approx(
            item.base + sum(c.contribution for c in item.criteria), abs=1e-6
        )
        assert {c.name for c in item.criteria} >= {
            "arbeidsmarkt",
            "werkloosheidsduur",
            "beroep",
            "ervaring",
        }
        by_name = {c.name: c for c in item.criteria}
        # measured from the typical eligible candidate: no float noise, and living in the
        # vacancy's region is never a penalty; the tension is the same for every candidate
        assert all(c.contribution == 0 or abs(c.contribution) > 1e-9 for c in item.criteria)
        if "dezelfde als de vacature" in by_name["regio"].reason:
            assert by_name["regio"].contribution >= 0
        assert by_name["arbeidsmarkt"].contribution == 0
    assert "doorsnee kandidaat" in result.reference
    from matching.filters import Overrides

    nobody = m.shortlist(vid, k=5, overrides=Overrides(max_distance_km=0.0, regions=("AM01",)))
    assert nobody.items == []  # nothing eligible, with a ranker served: empty, not an error


def test_champion_changes_only_when_beaten_and_rollback_works(trained):
    m, first = trained
    again = train(m, progress=False, max_iter=60)  # same data: equal, not better
    assert not again["promoted"]
    assert again["champion_ndcg@10_before"] == pytest.approx(first["valid_ndcg@10"][first["kind"]])
    assert champion_version(m.settings.tracking_uri, m.settings.home) == first["version"]
    # Manual promotion and rollback through the CLI.
    import os

    old = {k: os.environ.get(k) for k in ("WERKMATCH_HOME", "WERKMATCH_MODEL_DIR")}
    os.environ["WERKMATCH_HOME"] = str(m.settings.home)
    os.environ["WERKMATCH_MODEL_DIR"] = str(m.settings.embedding_model_dir)
    get_settings.cache_clear()
    try:
        assert main(["promote", again["version"]]) == 0
        assert champion_version(m.settings.tracking_uri, m.settings.home) == again["version"]
        assert main(["promote", first["version"]]) == 0  # rollback
        assert main(["promote", "999"]) == 2
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
    assert champion_version(m.settings.tracking_uri, m.settings.home) == first["version"]
    served = load_version(m.settings.tracking_uri, m.settings.home, first["version"])
    assert "ndcg_at_10" in served.metrics and served.model.additive


def test_a_reload_without_a_promotion_keeps_the_ranker_that_serves(trained, caplog):
    """A registered version never changes: reloading the champion that serves loads nothing,
    while a served ranker of another version, or of another run under the champion's version
    number (a registry made anew), is replaced by the champion loaded from the registry."""
    m, _ = trained
    uri, home = m.settings.tracking_uri, m.settings.home
    served = m.reload_ranker()
    assert served is not None and served.version == champion_version(uri, home)
    with caplog.at_level(logging.INFO, logger="werkmatch"):
        assert m.reload_ranker() is served and load_champion(uri, home, served) is served
    assert "serving ranker" not in caplog.text  # a follower reloads every 10 s
    for stale in (
        dataclasses.replace(served, version="999"),
        dataclasses.replace(served, run_id="a-run-of-another-registry"),
    ):
        loaded = load_champion(uri, home, stale)
        assert loaded is not stale and loaded is not served
        assert (loaded.version, loaded.run_id) == (served.version, served.run_id)
