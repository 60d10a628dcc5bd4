"""The risk model: trained on train jobseekers only, champion rule, exact additive
explanations, no protected attribute among its features, held-out report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.config import Settings
from matching.records import Kind
from matching.risk_features import FEATURES, PROTECTED, SOURCES
from matching.service import Matcher
from models.risk import RiskModel
from training import train_risk as tr
from training.risk_data import build_risk_set
from training.risk_report import evaluate_risk, write_risk_report


@pytest.fixture(scope="module")
def risk_home(world_home: Path, tmp_path_factory, model_dir: Path, embedder) -> Path:
    home = tmp_path_factory.mktemp("risk") / "home"
    shutil.copytree(world_home, home)
    return home


@pytest.fixture(scope="module")
def trained(risk_home: Path, model_dir: Path, embedder) -> tuple[Matcher, dict]:
    m = Matcher(Settings(home=risk_home, model_dir=model_dir), embedder=embedder)
    return m, tr.train_risk(m)


def test_no_feature_is_or_reads_a_protected_attribute():
    assert set(FEATURES) == set(SOURCES)
    read = {field for fields in SOURCES.values() for field in fields}
    assert not read & PROTECTED and not set(FEATURES) & PROTECTED
    assert {"age_band", "benefit"} <= PROTECTED  # the check knows what to look for


def test_the_risk_set_has_labels_splits_and_groups(trained):
    m, _ = trained
    data = build_risk_set(m)
    assert data.height == m.store.count(Kind.JOBSEEKERS)  # every demo person has a history
    assert set(data["split"].unique()) == {"train", "valid", "test"}
    assert set(data["still_unemployed"].unique()) == {0, 1}
    assert data["age_band"].null_count() == 0


def test_training_reads_no_test_jobseeker(risk_home, model_dir, embedder, monkeypatch):
    seen: list[int] = []
    fit = RiskModel.fit

    def spy(self, X, y):
        seen.append(len(y))
        return fit(self, X, y)

    monkeypatch.setattr(RiskModel, "fit", spy)
    m = Matcher(Settings(home=risk_home, model_dir=model_dir), embedder=embedder)
    data = build_risk_set(m)
    tr.fit_risk(data)
    assert seen == [int((data["split"] == "train").sum())]


def test_first_model_is_promoted_and_an_equal_one_is_not(trained):
    m, first = trained
    assert first["promoted"] and first["valid"]["model"]["brier"] < 0.3
    assert m.risk.served is not None and m.risk.served.version == first["version"]
    again = tr.train_risk(m)  # the same data gives the same model: not better, not promoted
    assert not again["promoted"]
    assert again["valid"]["champion_before"]["brier"] == pytest.approx(
        again["valid"]["model"]["brier"]
    )
    assert m.risk.reload().version == first["version"]


def test_every_risk_is_explained_exactly(trained):
    m, _ = trained
    for a in m.risk.assess(m.store.ids(Kind.JOBSEEKERS)[:40]):
        logit = a.base + sum(c.contribution for c in a.contributions)
        assert 1 / (1 + np.exp(-logit)) == pytest.approx(a.risk, abs=1e-12)
        assert [c.feature for c in a.contributions] == list(FEATURES)
        for c in a.contributions:
            effect = "verhoogt" if c.contribution > 1e-9 else "verlaagt"
            assert c.reason.endswith(f"{effect} het risico") or c.reason.endswith("neutraal")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=3, max_size=3), st.integers(0, 99))
def test_contributions_sum_to_the_calibrated_logit(row, seed):
    rng = np.random.default_rng(seed)
    X = rng.choice(["a", "b", "c"], size=(200, 3)).astype(object)
    y = ((X[:, 0] == "a") | (rng.random(200) < 0.3)).astype(int)
    model = RiskModel(feature_names=["x", "y", "z"]).fit(X, y)
    base, contrib = model.contributions(np.array([row], dtype=object))
    p = model.predict_proba(np.array([row], dtype=object))[0, 1]
    assert 1 / (1 + np.exp(-(base + contrib.sum()))) == pytest.approx(p)
    _, train_contrib = model.contributions(X)
    assert np.allclose(train_contrib.mean(axis=0), 0)  # measured from the average person


def test_the_held_out_report_has_every_figure(trained, tmp_path):
    m, _ = trained
    report = evaluate_risk(m, n_boot=200)
    assert set(report["methods"]) == {"model", "base_rate", "phase_only"}
    for f in report["methods"].values():
        assert f["brier_ci"][0] <= f["brier"] <= f["brier_ci"][1]
    for name, g in report["gains"].items():  # paired: the model against the same people
        auc = report["methods"]["model"]["auc"] - report["methods"][name]["auc"]
        assert g["auc_gain"] == pytest.approx(auc)
        assert g["auc_gain_ci"][0] <= g["auc_gain"] <= g["auc_gain_ci"][1]
        assert g["brier_gain"] == pytest.approx(
            report["methods"][name]["brier"] - report["methods"]["model"]["brier"]
        )
    assert set(report["age_band"]) >= {"15-26", "27-44"} and "WW" in report["benefit"]
    assert (
        report["age_45_auc_from_features"] is None or 0 <= report["age_45_auc_from_features"] <= 1
    )
    folder = write_risk_report(report, tmp_path / "risk")
    assert (folder / "calibration.png").stat().st_size > 0
    assert "phase_only" in (folder / "report.md").read_text()
    assert json.loads((folder / "report.json").read_text())["test_rows"] == report["test_rows"]


def test_the_risk_model_round_trips_through_pickle_and_refuses_unfitted_use():
    import pickle

    from sklearn.exceptions import NotFittedError

    X = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["b", "x"]] * 10, dtype=object)
    y = np.array([1, 0, 1, 0] * 10)
    model = RiskModel(feature_names=["f", "g"]).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict_proba(X), model.predict_proba(X))
    assert model.predict_proba(np.array([["a", "x"]], dtype=object))[0, 1] > 0.5
    with pytest.raises(NotFittedError):
        RiskModel(feature_names=["f"]).predict_proba(X[:, :1])
