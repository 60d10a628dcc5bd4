"""The first run: set-up serves a static model at once; `serve` then switches to e5 in the
background and retrains the ranker on e5's similarities."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from matching.config import Settings
from matching.embedders import base_embedder
from matching.service import Matcher
from training.bootstrap import FIRST_RUN_EMBEDDER, retrain_stale_ranker, set_up


def test_first_run_serves_static_then_e5_with_a_retrained_ranker(tmp_path: Path, model_dir: Path):
    settings = Settings(home=tmp_path / "home", model_dir=model_dir)
    matcher = Matcher(settings)
    summary = set_up(matcher, jobseekers=150, vacancies=40, seed=3)

    assert summary.demo is not None and summary.first_embedder is not None
    assert matcher.serving.ref.version == FIRST_RUN_EMBEDDER
    static_id = matcher.serving.model_id
    assert summary.ranker is not None and summary.ranker["ranker"]["promoted"]
    assert matcher.ranker is not None and matcher.ranker.embedding_model == static_id
    assert retrain_stale_ranker(matcher) is None  # trained on what serves: nothing to do
    first_version = matcher.ranker.version

    e5_id = base_embedder(settings).model_id
    with TestClient(create_app(settings)) as client:  # a new process: from what is on disk
        served = client.app.state.matcher
        assert served.serving.model_id == static_id  # serves at once, e5 follows
        status = served.switcher.wait(timeout=600)
        assert status.state == "done", status.error
        assert served.serving.model_id == e5_id
        assert served.ranker is not None and served.ranker.embedding_model == e5_id
        assert served.ranker.version != first_version
        health = client.get("/health").json()
        assert health["model"]["id"] == e5_id and health["ranker"]["trained_on"] == e5_id
        shortlist = client.app.state.matcher.shortlist("VAC-000001", k=3)
        assert shortlist.model_id == e5_id and shortlist.ranker.endswith(served.ranker.version)

    again = set_up(Matcher(settings), jobseekers=150, vacancies=40, seed=3)
    assert again.demo is None and again.first_embedder is None and again.ranker is None
