"""The store's contract: every backend runs these (`pytest --store=postgresql` for
PostgreSQL; SQLite by default).

Tests named `test_sqlite_*` or taking `tmp_path` for their own file are SQLite-specific.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from matching import database
from matching.directory import User
from matching.ledger import KeyOwner
from matching.records import Kind, Occupation
from matching.store import Store
from tests.factories import FORKLIFT_URI, jobseeker, vacancy


@pytest.fixture
def store(database_url: str) -> Store:
    return Store(database_url)


def test_sqlite_file_uses_wal(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'test.db'}")
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
    by_id = store.by_ids(Kind.JOBSEEKERS, ["WZ-B", "WZ-A", "WZ-NOPE"])
    assert by_id == {"WZ-A": store.get(Kind.JOBSEEKERS, "WZ-A")}  # unknown and erased left out


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
    pending = store.vectors.pending_texts(Kind.JOBSEEKERS, "m1")
    assert [p[0] for p in pending] == [rowid]
    vec = np.ones((1, 4), dtype=np.float32) / 2
    store.vectors.put(Kind.JOBSEEKERS, "m1", [(rowid, pending[0][1])], vec)
    assert store.vectors.pending_texts(Kind.JOBSEEKERS, "m1") == []
    assert store.vectors.pending_texts(Kind.JOBSEEKERS, "m2") != []  # other model: still pending
    # A change that leaves the text alone keeps the vector current ...
    store.upsert([jobseeker(postcode="1012")])
    assert store.vectors.pending_texts(Kind.JOBSEEKERS, "m1") == []
    # ... a text change makes it stale, and stale vectors are not served.
    store.upsert([jobseeker(cv_text="Nu iets heel anders: kok in een restaurant.")])
    assert len(store.vectors.pending_texts(Kind.JOBSEEKERS, "m1")) == 1
    ids, _ = store.vectors.load(Kind.JOBSEEKERS, "m1")
    assert len(ids) == 0


def test_delete_removes_embeddings_and_leaves_tombstone(store: Store):
    (rowid,) = store.upsert([jobseeker()])
    h = store.vectors.pending_texts(Kind.JOBSEEKERS, "m")[0][1]
    store.vectors.put(Kind.JOBSEEKERS, "m", [(rowid, h)], np.ones((1, 4), np.float32))
    before = store.changes.revision(Kind.JOBSEEKERS)
    store.delete(Kind.JOBSEEKERS, "WZ-T1")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings")).scalar() == 0
    changed, deleted = store.changes.since(Kind.JOBSEEKERS, before, "m")
    assert changed == set() and deleted == {rowid}


def test_revisions_and_changes_since(store: Store):
    r0 = store.changes.revision(Kind.VACANCIES)
    rowids = store.upsert([vacancy(), vacancy(id="VAC-T2")])
    r1 = store.changes.revision(Kind.VACANCIES)
    assert r1 > r0
    assert store.changes.since(Kind.VACANCIES, r0, "m") == (set(rowids), set())
    assert store.changes.since(Kind.VACANCIES, r1, "m") == (set(), set())
    assert store.changes.revision(Kind.JOBSEEKERS) == 0


def test_vectors_of_another_model_are_no_change_to_an_index(store: Store):
    (rowid,) = store.upsert([jobseeker()])
    h = store.vectors.pending_texts(Kind.JOBSEEKERS, "m1")[0][1]
    before = store.changes.revision(Kind.JOBSEEKERS)
    store.vectors.put(Kind.JOBSEEKERS, "m2", [(rowid, h)], np.ones((1, 4), np.float32))
    assert store.changes.revision(Kind.JOBSEEKERS) > before
    assert store.changes.since(Kind.JOBSEEKERS, before, "m1") == (set(), set())
    assert store.changes.since(Kind.JOBSEEKERS, before, "m2") == ({rowid}, set())
    store.vectors.put(Kind.JOBSEEKERS, "m1", [(rowid, h)], np.ones((1, 4), np.float32))
    assert store.vectors.models() == {"m1": 1, "m2": 1}
    assert store.vectors.drop_model("m2") == 1
    assert store.vectors.models() == {"m1": 1}


def test_attributes_columns(store: Store):
    store.upsert([jobseeker(licences=["CE"]), jobseeker(id="WZ-T2", available_from=None)])
    attrs = store.attributes(Kind.JOBSEEKERS)
    assert attrs["postcode"].tolist() == ["3011", "3011"]
    assert attrs["radius_km"].tolist() == [25.0, 25.0]
    assert attrs["licence_mask"][0] != attrs["licence_mask"][1]


def test_outcomes_and_audit(store: Store):
    store.ledger.add_outcomes(
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
    rows = store.ledger.outcome_rows()
    assert [r["outcome"] for r in rows] == ["placed", "rejected"]
    with pytest.raises(ValueError):
        store.ledger.add_outcomes([{"vacancy_id": "V", "jobseeker_id": "J", "outcome": "hired"}])
    store.ledger.write_audit("key1", "matchmaker", "/v1/x", ["WZ-T1", "WZ-T2"], purpose="shortlist")
    (entry,) = store.ledger.audit_rows(jobseeker_id="WZ-T2")
    assert entry["key_id"] == "key1" and entry["jobseeker_ids"] == ["WZ-T1", "WZ-T2"]


def test_audit_filter_by_jobseeker_looks_past_the_newest_entries(store: Store):
    store.ledger.write_audit("k", "werkcoach", "/v1/x", ["WZ-OLD"], purpose="oud")
    for i in range(150):
        store.ledger.write_audit("k", "matchmaker", "/v1/y", [f"WZ-{i}"])
    assert len(store.ledger.audit_rows(limit=100)) == 100
    (old,) = store.ledger.audit_rows(limit=100, jobseeker_id="WZ-OLD")
    assert old["purpose"] == "oud"


def test_api_keys_are_stored_hashed_and_can_be_revoked(store: Store):
    made = store.ledger.create_key("werkcoach", "caseload Rotterdam")
    assert made.key.startswith(f"wm_{made.key_id}.")
    assert store.ledger.key_owner(made.key) == KeyOwner(made.key_id, "werkcoach", None)
    assert store.ledger.key_owner(made.key[:-1] + "x") is None  # wrong secret
    assert store.ledger.key_owner("wm_nope") is None and store.ledger.key_owner("") is None
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_keys")).scalar()
    assert made.key.split(".")[1] not in stored  # only the hash of the secret
    (listed,) = store.ledger.list_keys()
    assert listed["label"] == "caseload Rotterdam" and listed["revoked_at"] is None
    assert store.ledger.revoke_key(made.key_id) and not store.ledger.revoke_key(made.key_id)
    assert store.ledger.key_owner(made.key) is None


def test_keys_expire_and_rotate_to_a_new_key_of_the_same_user(store: Store):
    expired = store.ledger.create_key("matchmaker", user_id="u-1", days=-1)
    assert store.ledger.key_owner(expired.key) is None
    old = store.ledger.create_key("matchmaker", "laptop", user_id="u-1")
    new = store.ledger.rotate_key(old.key_id)
    assert store.ledger.key_owner(old.key) is None  # revoked by the rotation
    assert store.ledger.key_owner(new.key) == KeyOwner(new.key_id, "matchmaker", "u-1")
    assert store.ledger.rotate_key(old.key_id) is None  # a revoked key cannot rotate


def test_caseloads_say_whom_a_werkcoach_and_their_team_serve(store: Store):
    ann = User("u-ann", "Ann", "werkcoach", "Werkplein Rijnmond", ("AM22",))
    bob = User("u-bob", "Bob", "werkcoach", "Werkplein Rijnmond", ("AM22",))
    solo = User("u-solo", "Sol", "werkcoach", None, ())
    for u in (ann, bob, solo):
        store.directory.put_user(u)
    assert store.directory.user("u-ann") == ann and store.directory.user("u-none") is None
    store.directory.assign(["WZ-1", "WZ-2"], ann)
    store.directory.assign(["WZ-3"], solo)
    assert store.directory.serves(bob, ["WZ-1", "WZ-2", "WZ-3"]) == {"WZ-1", "WZ-2"}  # team
    assert store.directory.serves(solo, ["WZ-1", "WZ-3"]) == {"WZ-3"}
    store.directory.assign(["WZ-1"], solo)  # reassigned: one caseload at a time
    assert store.directory.serves(ann, ["WZ-1"]) == set()


def test_occupations_are_typed_and_default_to_confidence_zero(store: Store):
    given = jobseeker(desired_esco_uri=FORKLIFT_URI)
    inferred, unknown = jobseeker(id="WZ-T2"), jobseeker(id="WZ-T3")
    rows = store.upsert([given, inferred, unknown], {"WZ-T2": Occupation(FORKLIFT_URI, 0.2)})
    got = store.occupations(Kind.JOBSEEKERS, rows)
    assert [got[r] for r in rows] == [
        Occupation(FORKLIFT_URI, 1.0),
        Occupation(FORKLIFT_URI, 0.2),
        Occupation(None, 0.0),
    ]
    assert all(isinstance(o, Occupation) for o in got.values())


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
        assert Store(url).changes.revision(Kind.JOBSEEKERS) == 0


class _LockedCursor:
    """A cursor whose journal-mode switch is refused `locked` times, as SQLite refuses it
    without waiting when processes race to open a new file."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked, self.message, self.executed = locked, message, []

    def execute(self, sql: str) -> None:
        if sql == "PRAGMA journal_mode=WAL" and self.locked:
            self.locked -= 1
            raise sqlite3.OperationalError(self.message)
        self.executed.append(sql)


def test_the_switch_to_wal_is_retried_while_the_file_is_locked(monkeypatch):
    cursor = _LockedCursor(locked=3)
    database._switch_to_wal(cursor)
    assert cursor.executed == ["PRAGMA journal_mode=WAL"] and cursor.locked == 0
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):  # other errors: at once
        database._switch_to_wal(_LockedCursor(locked=1, message="disk I/O error"))
    monkeypatch.setattr(database, "BUSY_SECONDS", 0.0)  # and a lock held too long is raised
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        database._switch_to_wal(_LockedCursor(locked=10_000))


def test_lookups_of_many_ids_stay_below_the_bound_parameter_limit(store: Store):
    """70,000 ids pass SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per
    statement: lookups bind each READ_CHUNK of ids as one value, IN lists hold IN_CHUNK."""
    rowids = store.upsert([jobseeker(id=f"WZ-{i}") for i in range(1200)])
    asked = [f"WZ-{i}" for i in range(70_000)]
    assert store.rowids(Kind.JOBSEEKERS, asked) == {f"WZ-{i}": r for i, r in enumerate(rowids)}
    assert len(store.by_rowids(Kind.JOBSEEKERS, [*rowids, *range(10**6, 10**6 + 69_000)])) == 1200


def _upsert_after(barrier: Any, url: str, worker: int) -> None:
    store = Store(url)
    barrier.wait()
    for round_ in range(10):  # the same ids from every process, each time changed
        store.upsert(
            [jobseeker(id=f"WZ-{i}", hours_per_week=worker + round_ + 1) for i in range(5)]
        )
        store.upsert([jobseeker(id=f"WZ-{worker}-{round_}")])


def test_concurrent_writers_keep_ids_unique_and_lose_no_write(database_url: str):
    """Four processes (replicas, say) upserting the same and new ids at once: no error, one
    row per id, and every revision bump accounted for."""
    Store(database_url)  # the schema, before the race
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    procs = [
        context.Process(target=_upsert_after, args=(barrier, database_url, w)) for w in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    store = Store(database_url)
    ids = store.ids(Kind.JOBSEEKERS)
    assert len(ids) == len(set(ids)) == 5 + 40
    assert len(set(store.rowids(Kind.JOBSEEKERS, ids).values())) == 45
    assert store.changes.revision(Kind.JOBSEEKERS) >= 40 + 1  # every new id bumped it
