"""Switching embedders: built beside the served one, swapped at once, never mixed; rollback.

The tests are one operator's scenario on one data directory, in file order: switch to a
registered embedder in the background, check it, roll back to the base model, switch again.
The registered embedder is the tiny static model: the switch does not depend on the kind of
model, and a static one embeds the 22,807 ESCO labels in seconds where a fine-tuned e5 takes
minutes on 2 cores. The first-run test (`tests/training/test_bootstrap.py`) switches from a
static model to e5 in the background.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from matching.config import Settings
from matching.embedders import serving_embedder
from matching.occupations import inferred_occupations
from matching.records import Kind
from matching.service import Matcher
from matching.shortlist import Shortlist
from models.embedder import Embedder, model_slug
from models.registry import BASE, EMBEDDER_NAME, promote

VACANCY = "VAC-000003"


@pytest.fixture(scope="module")
def settings(static_home, tmp_path_factory, model_dir: Path) -> Settings:
    home = tmp_path_factory.mktemp("switch") / "home"
    shutil.copytree(static_home[0], home)
    return Settings(home=home, model_dir=model_dir)


@pytest.fixture(scope="module")
def version(static_home) -> str:
    return static_home[1]


def consistent(m: Matcher, shortlist: Shortlist) -> None:
    """Every similarity is the dot product of *one* model's query and passage vectors."""
    model = shortlist.model_id
    v_rowid = m.store.rowid(Kind.VACANCIES, VACANCY)
    _, q = m.store.vectors.load(Kind.VACANCIES, model, prompt="query", rowids=[v_rowid])
    rowids = [m.store.rowid(Kind.JOBSEEKERS, item.id) for item in shortlist.items]
    ids, p = m.store.vectors.load(Kind.JOBSEEKERS, model, rowids=rowids)
    expected = dict(zip(ids.tolist(), (p @ q[0]).tolist(), strict=True))
    for item, rowid in zip(shortlist.items, rowids, strict=True):
        assert item.similarity == pytest.approx(expected[rowid], abs=1e-5), (model, item.id)


def test_background_switch_serves_one_model_at_a_time(settings, version, embedder: Embedder):
    m = Matcher(settings, embedder=embedder)
    m.prepare(progress=False)
    promote(settings.tracking_uri, settings.home, version, EMBEDDER_NAME)
    status = m.switcher.follow_target(background=True)
    seen = set()
    while status.running:
        shortlist = m.shortlist(VACANCY, k=10)
        consistent(m, shortlist)
        seen.add(shortlist.model_id)
        time.sleep(0.2)  # a matchmaker's pace: leave the cores to the switch
    m.switcher.wait()
    assert status.state == "done", status.error
    new_model = status.model_id
    assert embedder.model_id in seen and new_model != embedder.model_id
    after = m.shortlist(VACANCY, k=10)
    assert after.model_id == m.serving.model_id == new_model and after.items
    consistent(m, after)
    for kind in Kind:
        index = m.serving.indexer.index(kind)
        assert index.meta.model_id == new_model and len(index) == m.store.count(kind)
    assert status.embedded == m.store.count(Kind.JOBSEEKERS) + m.store.count(Kind.VACANCIES)
    assert serving_embedder(settings).model_id == new_model
    assert Matcher(settings).serving.model_id == new_model  # a restart serves it at once


def test_switch_reinfers_occupations_with_the_new_embedder(settings):
    m = Matcher(settings)  # serves the registered (static) embedder now
    items = m.store.by_rowids(Kind.VACANCIES, list(range(1, 81)))
    stored = m.store.occupations(Kind.VACANCIES, list(items))
    inferred = inferred_occupations(list(items.values()), m.serving.occupations)
    assert len(inferred) >= 10  # demo vacancies without a given ESCO URI
    for rowid, record in items.items():
        if record.id in inferred:
            uri, confidence = inferred[record.id]
            assert stored[rowid][0] == uri
            # float32 products of differently shaped batches differ in the last bits
            assert stored[rowid][1] == pytest.approx(confidence, abs=1e-5)


def test_rollback_catches_up_without_reembedding_and_drops_older_models(settings, embedder):
    m = Matcher(settings)
    served = m.serving.model_id
    # A third, older model's vectors and index: dropped by the next switch.
    rowid = m.store.rowid(Kind.JOBSEEKERS, "WZ-0000001")
    m.store.vectors.put(Kind.JOBSEEKERS, "stale@000", [(rowid, "x")], np.ones((1, 384)))
    stale_folder = settings.indexes_dir / model_slug("stale@000")
    stale_folder.mkdir(parents=True)
    promote(settings.tracking_uri, settings.home, BASE, EMBEDDER_NAME)
    status = m.switcher.follow_target(progress=False)
    assert status.state == "done" and status.embedded == 0
    assert m.serving.model_id == embedder.model_id and m.serving.ref.version == BASE
    consistent(m, m.shortlist(VACANCY, k=10))
    assert set(m.store.vectors.models()) == {embedder.model_id, served}
    assert not stale_folder.exists()


def test_a_second_switch_waits_for_the_first(settings, version):
    from matching.embedders import named_embedder
    from matching.switching import SwitchInProgressError

    m = Matcher(settings)
    ref = named_embedder(settings, version)
    m.switcher.start(ref)
    with pytest.raises(SwitchInProgressError, match="is running"):
        m.switcher.start(ref)
    assert m.switcher.wait().state == "done"
    assert m.serving.model_id == ref.model_id
