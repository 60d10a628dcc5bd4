"""Identity that is never reused, and erasure that is complete and atomic."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from matching.config import Settings
from matching.erasure import erase_jobseeker
from matching.errors import NotFoundError
from matching.history import Segment
from matching.records import Kind
from matching.service import Matcher
from matching.store import Store
from models.embedder import Embedder
from tests.factories import jobseeker, vacancy

UNIQUE = "Zwijndrechtse-kwartelfluisteraar-7731"


def test_a_deleted_rowid_is_never_given_again(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    (first,) = store.upsert([jobseeker(id="WZ-J")])
    assert store.delete(Kind.JOBSEEKERS, "WZ-J")
    (second,) = store.upsert([jobseeker(id="WZ-K")])
    assert second > first  # the newest rowid is not reused after its deletion
    assert store.delete(Kind.JOBSEEKERS, "WZ-K")  # a second tombstone, no IntegrityError
    assert store.count(Kind.JOBSEEKERS) == 0


def test_erase_after_erase_of_the_newest_record(settings: Settings, embedder: Embedder):
    m = Matcher(settings, embedder=embedder)
    m.upsert([vacancy()])
    for rid in ("WZ-J", "WZ-K"):
        m.upsert([jobseeker(id=rid)])
        receipt = m.erase_jobseeker(rid, erased_by="admin-key")
        assert receipt.records == 1
        assert m.store.get(Kind.JOBSEEKERS, rid) is None
        assert len(m.serving.indexer.index(Kind.JOBSEEKERS)) == 0
    with pytest.raises(NotFoundError):
        m.erase_jobseeker("WZ-K", erased_by="admin-key")


def test_an_index_catching_up_sees_a_new_record_after_a_deletion(
    settings: Settings, embedder: Embedder
):
    server = Matcher(settings, embedder=embedder)
    server.upsert([jobseeker(id="WZ-J")])
    assert len(server.serving.indexer.index(Kind.JOBSEEKERS)) == 1
    other = Matcher(settings, embedder=embedder)  # another process: erase J, create K
    other.erase_jobseeker("WZ-J", erased_by="k")
    (k_rowid,) = other.upsert([jobseeker(id="WZ-K", cv_text="Kok in een groot restaurant.")])
    index = server.serving.indexer.index(Kind.JOBSEEKERS)
    q = embedder.encode(["Kok in een groot restaurant."], "query")
    _, ids = index.search(q, 5)
    assert len(index) == 1 and ids[0][0] == k_rowid


def test_erasure_removes_vectors_outcomes_and_links_the_audit_to_a_receipt(
    settings: Settings, embedder: Embedder
):
    m = Matcher(settings, embedder=embedder)
    m.upsert([vacancy()])
    m.upsert([jobseeker(id="WZ-J"), jobseeker(id="WZ-OTHER")])
    m.record_outcome("VAC-T1", "WZ-J", "invited", None, "test")
    m.record_outcome("VAC-T1", "WZ-OTHER", "invited", None, "test")
    m.store.ledger.write_audit("key1", "matchmaker", "GET /x", ["WZ-J", "WZ-OTHER"], "shortlist")
    for person in ("WZ-J", "WZ-OTHER"):
        m.store.history.add_events(
            [{"jobseeker_id": person, "event": "intake", "on": dt.date(2026, 1, 5), "source": "t"}]
        )
        m.risk.override(person, Segment.INTENSIEF, "zorgtaken", "wc-1", "key2")
    m.record_outcome("VAC-T1", "WZ-J", "placed", None, "test")  # an exit to work too
    receipt = m.erase_jobseeker("WZ-J", erased_by="admin-key")
    assert (receipt.records, receipt.outcomes, receipt.audit_entries) == (1, 2, 1)
    assert receipt.history == 3  # intake, exit to work, override
    assert m.store.history.events_of("WZ-J") == []
    assert set(m.store.history.overrides_of(["WZ-J", "WZ-OTHER"])) == {"WZ-OTHER"}
    assert len(m.store.history.events_of("WZ-OTHER")) == 1
    assert receipt.vectors >= 1
    assert [o["jobseeker_id"] for o in m.store.ledger.outcome_rows()] == ["WZ-OTHER"]
    assert m.store.ledger.audit_rows(jobseeker_id="WZ-J") == []
    (entry,) = m.store.ledger.audit_rows(jobseeker_id="WZ-OTHER")
    assert entry["jobseeker_ids"] == [f"gewist-{receipt.id}", "WZ-OTHER"]
    (saved,) = m.store.ledger.erasures()
    assert saved["erased_by"] == "admin-key" and "WZ-J" not in str(saved)
    with m.store.engine.connect() as conn:
        sql = "SELECT rowid FROM embeddings WHERE kind = 'jobseekers'"
        rowids = conn.execute(text(sql)).scalars().all()
    assert m.store.rowid(Kind.JOBSEEKERS, "WZ-OTHER") in rowids and len(set(rowids)) == 1


def test_no_file_of_the_data_directory_holds_an_erased_cv(settings: Settings, embedder: Embedder):
    m = Matcher(settings, embedder=embedder)
    m.upsert([vacancy()])
    m.upsert([jobseeker(id="WZ-J", cv_text=f"Ik ben {UNIQUE} met tien jaar ervaring.")])
    m.shortlist("VAC-T1")  # query vectors cached, index saved
    m.serving.indexer.flush()
    assert _files_holding(settings.home, UNIQUE)  # the test can see the text while it is there
    m.erase_jobseeker("WZ-J", erased_by="admin-key")
    assert _files_holding(settings.home, UNIQUE) == []
    restarted = Matcher(settings, embedder=embedder)  # from the saved index files
    assert len(restarted.serving.indexer.index(Kind.JOBSEEKERS)) == 0


def test_an_old_data_directory_is_migrated_to_ids_that_are_never_reused(tmp_path: Path):
    path = tmp_path / "old.db"
    Store(f"sqlite:///{path}").upsert([jobseeker(id=f"WZ-{i}") for i in range(3)])
    _drop_autoincrement(path, "jobseekers")
    with sqlite3.connect(path) as conn:  # rowid 9 was deleted long ago
        conn.execute("INSERT INTO tombstones (kind, rowid, rev) VALUES ('jobseekers', 9, 1)")
    store = Store(f"sqlite:///{path}")
    assert store.ids(Kind.JOBSEEKERS) == ["WZ-0", "WZ-1", "WZ-2"]
    with store.engine.connect() as conn:
        ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name='jobseekers'")).scalar()
    assert "AUTOINCREMENT" in ddl.upper()
    (new,) = store.upsert([jobseeker(id="WZ-NEW")])
    assert new == 10 and store.by_rowids(Kind.JOBSEEKERS, [1])[1].id == "WZ-0"


def _drop_autoincrement(path: Path, table: str) -> None:
    """Rewrite a table as releases before AUTOINCREMENT made it (rowids reusable; nor had
    they migrations)."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE alembic_version")
        (ddl,) = conn.execute("SELECT sql FROM sqlite_master WHERE name=?", (table,)).fetchone()
        conn.execute("PRAGMA writable_schema=ON")
        plain = ddl.replace("AUTOINCREMENT", "")
        conn.execute("UPDATE sqlite_master SET sql=? WHERE name=?", (plain, table))
        conn.execute("DELETE FROM sqlite_sequence WHERE name=?", (table,))
    with sqlite3.connect(path) as conn:
        assert (
            "AUTOINCREMENT"
            not in conn.execute("SELECT sql FROM sqlite_master WHERE name=?", (table,))
            .fetchone()[0]
            .upper()
        )


def _files_holding(folder: Path, needle: str) -> list[str]:
    raw = needle.encode()
    return [str(p) for p in folder.rglob("*") if p.is_file() and raw in p.read_bytes()]


def test_vectors_of_every_model_leave_with_the_record(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    (rowid,) = store.upsert([jobseeker()])
    h = store.vectors.pending_texts(Kind.JOBSEEKERS, "m1")[0][1]
    for model in ("m1", "m2"):
        store.vectors.put(Kind.JOBSEEKERS, model, [(rowid, h)], np.ones((1, 4), np.float32))
    receipt = erase_jobseeker(store, "WZ-T1", erased_by="k")
    assert receipt.vectors == 2 and store.vectors.models() == {}
