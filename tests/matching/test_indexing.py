"""Indexes follow the store: incremental sync, rebuild when missing or stale, no re-embedding."""

from __future__ import annotations

import numpy as np

from matching.config import Settings
from matching.records import Kind
from matching.service import Matcher
from models.embedder import Embedder
from tests.factories import jobseeker


class CountingEmbedder:
    """Wraps the real embedder and counts the record texts (passages) it embeds."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.texts = inner, 0
        self.model_id, self.dim, self.model_dir = inner.model_id, inner.dim, inner.model_dir

    def encode(self, texts, prompt, progress=False, batch_size=None):
        if prompt == "passage":
            self.texts += len(texts)
        return self.inner.encode(texts, prompt, progress, batch_size)


def people(n: int) -> list:
    jobs = ["kok", "heftruckchauffeur", "verpleegkundige", "timmerman", "schoonmaker"]
    return [
        jobseeker(
            id=f"WZ-{i}",
            desired_occupation=jobs[i % 5],
            cv_text=f"Ik werk al {i} jaar als {jobs[i % 5]}.",
        )
        for i in range(n)
    ]


def test_unchanged_texts_are_never_embedded_again(settings: Settings, embedder: Embedder):
    counting = CountingEmbedder(embedder)
    m = Matcher(settings, embedder=counting)
    m.upsert(people(6))
    assert counting.texts == 6
    m.upsert(people(6))  # same texts
    m.upsert([people(6)[0].model_copy(update={"postcode": "1012"})])  # attribute only
    assert counting.texts == 6
    m.upsert([jobseeker(id="WZ-0", cv_text="Nu wil ik graag bakker worden.")])
    assert counting.texts == 7
    assert Matcher(settings, embedder=counting).prepare(progress=False) == {
        "jobseekers": 0,
        "vacancies": 0,
    }


def test_add_update_delete_reach_the_index(matcher: Matcher):
    matcher.upsert(people(5))
    index = matcher.serving.indexer.index(Kind.JOBSEEKERS)
    assert len(index) == 5
    rowid = matcher.store.rowid(Kind.JOBSEEKERS, "WZ-1")
    matcher.upsert(
        [
            jobseeker(
                id="WZ-1",
                desired_occupation="piloot",
                cv_text="Verkeersvlieger met 5000 vlieguren.",
            )
        ]
    )
    q = matcher.serving.embedder.encode(["Verkeersvlieger gezocht"], "query")
    _, ids = matcher.serving.indexer.index(Kind.JOBSEEKERS).search(q, 1)
    assert ids[0, 0] == rowid and len(matcher.serving.indexer.index(Kind.JOBSEEKERS)) == 5
    matcher.delete(Kind.JOBSEEKERS, "WZ-1")
    _, ids = matcher.serving.indexer.index(Kind.JOBSEEKERS).search(q, 5)
    assert rowid not in ids[0] and len(matcher.serving.indexer.index(Kind.JOBSEEKERS)) == 4
    assert len(matcher.serving.indexer.table(Kind.JOBSEEKERS)) == 4


def test_writes_of_another_process_are_picked_up(settings: Settings, embedder: Embedder):
    server = Matcher(settings, embedder=embedder)
    server.upsert(people(3))
    assert len(server.serving.indexer.index(Kind.JOBSEEKERS)) == 3
    other = Matcher(settings, embedder=embedder)  # e.g. a CLI ingest beside the server
    other.upsert(people(5)[3:])
    other.delete(Kind.JOBSEEKERS, "WZ-0")
    assert len(server.serving.indexer.index(Kind.JOBSEEKERS)) == 4
    assert len(server.serving.indexer.table(Kind.JOBSEEKERS)) == 4


def test_missing_or_foreign_index_is_rebuilt_from_the_store(settings: Settings, embedder: Embedder):
    m = Matcher(settings, embedder=embedder)
    m.upsert(people(4))
    for f in m.serving.indexer.folder.glob("jobseekers.*"):
        f.unlink()
    fresh = Matcher(settings, embedder=embedder)
    assert len(fresh.serving.indexer.index(Kind.JOBSEEKERS)) == 4
    # An index made by another model is not trusted.
    meta = m.serving.indexer.folder / "jobseekers.json"
    meta.write_text(meta.read_text().replace(embedder.model_id, "other-model@123"))
    again = Matcher(settings, embedder=embedder)
    index = again.serving.indexer.index(Kind.JOBSEEKERS)
    assert index.meta.model_id == embedder.model_id and len(index) == 4


def test_index_grows_from_exact_to_ivf(settings: Settings, embedder: Embedder):
    small = settings.model_copy(update={"exact_index_max": 3})
    m = Matcher(small, embedder=embedder)
    m.upsert(people(3))
    assert m.serving.indexer.index(Kind.JOBSEEKERS).meta.spec == "IDMap2,Flat"
    m.upsert(people(8))
    index = m.serving.indexer.index(Kind.JOBSEEKERS)
    assert index.meta.spec.startswith("IVF") and len(index) == 8
    vec = m.serving.embedder.encode(["Ik werk al 7 jaar als timmerman."], "passage")
    _, ids = index.search(vec, 2)
    timmerman = {m.store.rowid(Kind.JOBSEEKERS, f"WZ-{i}") for i in (3, 7)}
    assert set(ids[0].tolist()) == timmerman
    assert np.isfinite(index.nbytes())


def test_sharded_index_serves_the_same_shortlists(
    world_home, model_dir, embedder, tmp_path, monkeypatch
):
    """WERKMATCH_INDEX_SHARDS=3: three shards, saved and reopened, same shortlists."""
    from matching.sharded_index import ShardedIndex

    monkeypatch.setenv("WERKMATCH_INDEX_SHARDS", "3")
    settings = Settings(home=world_home, model_dir=model_dir, index_dir=tmp_path / "index")
    assert settings.index_shards == 3
    sharded = Matcher(settings, embedder=embedder)
    index = sharded.serving.indexer.index(Kind.JOBSEEKERS)
    assert isinstance(index, ShardedIndex) and index.meta.shards == 3 and len(index) == 300
    one = Matcher(Settings(home=world_home, model_dir=model_dir), embedder=embedder)
    vacancies, seekers = (
        sharded.store.ids(Kind.VACANCIES)[:8],
        sharded.store.ids(Kind.JOBSEEKERS)[:4],
    )
    for got, want in (
        *((sharded.shortlist(v, k=30), one.shortlist(v, k=30)) for v in vacancies),
        *((sharded.vacancies_for(j), one.vacancies_for(j)) for j in seekers),
    ):
        assert [(m.id, round(m.score, 5)) for m in got.items] == [
            (m.id, round(m.score, 5)) for m in want.items
        ]
        assert got.retrieved == want.retrieved and len(got.items) > 0
    built_at = index.meta.built_at
    reopened = Matcher(settings, embedder=embedder).serving.indexer.index(Kind.JOBSEEKERS)
    assert isinstance(reopened, ShardedIndex) and reopened.meta.built_at == built_at
    monkeypatch.setenv("WERKMATCH_INDEX_SHARDS", "1")  # back to one index: rebuilt as one
    unsharded = Settings(home=world_home, model_dir=model_dir, index_dir=tmp_path / "index")
    again = Matcher(unsharded, embedder=embedder).serving.indexer.index(Kind.JOBSEEKERS)
    assert not isinstance(again, ShardedIndex) and len(again) == 300
