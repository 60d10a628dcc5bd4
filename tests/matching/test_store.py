"""Store round trips on a real SQLite file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from matching.store import Kind, Store
from tests.factories import jobseeker, vacancy


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'test.db'}")


def test_sqlite_file_uses_wal(store: Store, tmp_path: Path):
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert (tmp_path / "test.db").exists()


def test_upsert_get_replace_delete_round_trip(store: Store):
    js = jobseeker()
    (rowid,) = store.upsert([js])
    assert store.get(Kind.JOBSEEKERS, js.id) == js
    changed = js.model_copy(update={"hours_per_week": 20.0})
    assert store.upsert([changed]) == [rowid]  # same rowid on replace
    assert store.get(Kind.JOBSEEKERS, js.id).hours_per_week == 20.0
    assert store.count(Kind.JOBSEEKERS) == 1
    assert store.delete(Kind.JOBSEEKERS, js.id)
    assert store.get(Kind.JOBSEEKERS, js.id) is None
    assert not store.delete(Kind.JOBSEEKERS, js.id)


def test_by_rowids_parses_once_and_never_serves_a_stale_record(store: Store):
    a, b = jobseeker(id="WZ-A", skills=["Lassen", "lassen", "Heftruck"]), jobseeker(id="WZ-B")
    ra, rb = store.upsert([a, b])
    first = store.by_rowids(Kind.JOBSEEKERS, [rb, ra, 999])
    assert first == {ra: a, rb: b}  # unknown rowids left out
    assert first[ra].skills == ["Lassen", "Heftruck"]  # stored as validated
    again = store.by_rowids(Kind.JOBSEEKERS, [ra])
    assert again[ra] is first[ra]  # the cached object, not parsed anew
    store.upsert([a.model_copy(update={"hours_per_week": 12.0})])
    assert store.by_rowids(Kind.JOBSEEKERS, [ra])[ra].hours_per_week == 12.0
    store.delete(Kind.JOBSEEKERS, "WZ-B")
    assert store.by_rowids(Kind.JOBSEEKERS, [ra, rb]).keys() == {ra}


def test_survives_reopen(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    Store(url).upsert([vacancy(), vacancy(id="VAC-T2")])
    assert Store(url).ids(Kind.VACANCIES) == ["VAC-T1", "VAC-T2"]


def test_upsert_refuses_mixed_kinds_and_duplicates(store: Store):
    with pytest.raises(ValueError, match="one kind"):
        store.upsert([jobseeker(), vacancy()])
    with pytest.raises(ValueError, match="duplicate"):
        store.upsert([jobseeker(), jobseeker()])
    assert store.count(Kind.JOBSEEKERS) == 0


def test_embeddings_are_kept_by_record_model_and_text_hash(store: Store):
    (rowid,) = store.upsert([jobseeker()])
    pending = store.pending_texts(Kind.JOBSEEKERS, "m1")
    assert [p[0] for p in pending] == [rowid]
    vec = np.ones((1, 4), dtype=np.float32) / 2
    store.put_embeddings(Kind.JOBSEEKERS, "m1", [(rowid, pending[0][1])], vec)
    assert store.pending_texts(Kind.JOBSEEKERS, "m1") == []
    assert store.pending_texts(Kind.JOBSEEKERS, "m2") != []  # other model: still pending
    # A change that leaves the text alone keeps the vector current ...
    store.upsert([jobseeker(postcode="1012")])
    assert store.pending_texts(Kind.JOBSEEKERS, "m1") == []
    # ... a text change makes it stale, and stale vectors are not served.
    store.upsert([jobseeker(cv_text="Nu iets heel anders: kok in een restaurant.")])
    assert len(store.pending_texts(Kind.JOBSEEKERS, "m1")) == 1
    ids, _ = store.load_embeddings(Kind.JOBSEEKERS, "m1")
    assert len(ids) == 0


def test_delete_removes_embeddings_and_leaves_tombstone(store: Store):
    (rowid,) = store.upsert([jobseeker()])
    h = store.pending_texts(Kind.JOBSEEKERS, "m")[0][1]
    store.put_embeddings(Kind.JOBSEEKERS, "m", [(rowid, h)], np.ones((1, 4), np.float32))
    before = store.revision(Kind.JOBSEEKERS)
    store.delete(Kind.JOBSEEKERS, "WZ-T1")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings")).scalar() == 0
    changed, deleted = store.changes_since(Kind.JOBSEEKERS, before, "m")
    assert changed == set() and deleted == {rowid}


def test_revisions_and_changes_since(store: Store):
    r0 = store.revision(Kind.VACANCIES)
    rowids = store.upsert([vacancy(), vacancy(id="VAC-T2")])
    r1 = store.revision(Kind.VACANCIES)
    assert r1 > r0
    assert store.changes_since(Kind.VACANCIES, r0, "m") == (set(rowids), set())
    assert store.changes_since(Kind.VACANCIES, r1, "m") == (set(), set())
    assert store.revision(Kind.JOBSEEKERS) == 0


def test_vectors_of_another_model_are_no_change_to_an_index(store: Store):
    (rowid,) = store.upsert([jobseeker()])
    h = store.pending_texts(Kind.JOBSEEKERS, "m1")[0][1]
    before = store.revision(Kind.JOBSEEKERS)
    store.put_embeddings(Kind.JOBSEEKERS, "m2", [(rowid, h)], np.ones((1, 4), np.float32))
    assert store.revision(Kind.JOBSEEKERS) > before
    assert store.changes_since(Kind.JOBSEEKERS, before, "m1") == (set(), set())
    assert store.changes_since(Kind.JOBSEEKERS, before, "m2") == ({rowid}, set())
    store.put_embeddings(Kind.JOBSEEKERS, "m1", [(rowid, h)], np.ones((1, 4), np.float32))
    assert store.embedding_models() == {"m1": 1, "m2": 1}
    assert store.delete_embeddings("m2") == 1
    assert store.embedding_models() == {"m1": 1}


def test_attributes_columns(store: Store):
    store.upsert([jobseeker(licences=["CE"]), jobseeker(id="WZ-T2", available_from=None)])
    attrs = store.attributes(Kind.JOBSEEKERS)
    assert attrs["postcode"].tolist() == ["3011", "3011"]
    assert attrs["radius_km"].tolist() == [25.0, 25.0]
    assert attrs["licence_mask"][0] != attrs["licence_mask"][1]


def test_outcomes_and_audit(store: Store):
    store.add_outcomes(
        [
            {"vacancy_id": "VAC-T1", "jobseeker_id": "WZ-T1", "outcome": "placed"},
            {
                "vacancy_id": "VAC-T1",
                "jobseeker_id": "WZ-T2",
                "outcome": "rejected",
                "reason": "reisafstand te groot",
            },
        ]
    )
    rows = store.outcome_rows()
    assert [r["outcome"] for r in rows] == ["placed", "rejected"]
    with pytest.raises(ValueError):
        store.add_outcomes([{"vacancy_id": "V", "jobseeker_id": "J", "outcome": "hired"}])
    store.write_audit("key1", "matchmaker", "/v1/x", ["WZ-T1", "WZ-T2"], purpose="shortlist")
    (entry,) = store.audit_rows(jobseeker_id="WZ-T2")
    assert entry["key_id"] == "key1" and entry["jobseeker_ids"] == ["WZ-T1", "WZ-T2"]


def test_audit_filter_by_jobseeker_looks_past_the_newest_entries(store: Store):
    store.write_audit("k", "werkcoach", "/v1/x", ["WZ-OLD"], purpose="oud")
    for i in range(150):
        store.write_audit("k", "matchmaker", "/v1/y", [f"WZ-{i}"])
    assert len(store.audit_rows(limit=100)) == 100
    (old,) = store.audit_rows(limit=100, jobseeker_id="WZ-OLD")
    assert old["purpose"] == "oud"


def _open_after(barrier: Any, url: str) -> None:
    barrier.wait()
    Store(url)


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path):
    """The CLI and the service may create the same fresh file at the same moment."""
    context = multiprocessing.get_context("spawn")
    for attempt in range(3):
        url = f"sqlite:///{tmp_path / f'race{attempt}.db'}"
        barrier = context.Barrier(4)
        procs = [context.Process(target=_open_after, args=(barrier, url)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0]
        assert Store(url).revision(Kind.JOBSEEKERS) == 0
