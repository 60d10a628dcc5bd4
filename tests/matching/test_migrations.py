"""Schema migrations (Alembic, `matching/migrations/`): a fresh database of the chosen
backend is made by them, and a SQLite data directory made before them is migrated in place
with its rows kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect, text

from matching.records import Kind
from matching.schema import metadata
from matching.store import Store
from tests.factories import jobseeker, vacancy

HEAD = "0002"


def _version(store: Store) -> str:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_a_fresh_database_is_made_by_the_migrations(database_url: str):
    store = Store(database_url)
    assert _version(store) == HEAD
    have = set(inspect(store.engine).get_table_names())
    assert have == {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    assert {k: store.changes.revision(k) for k in Kind} == {k: 0 for k in Kind}
    Store(database_url)  # opening again is a no-op
    assert _version(store) == HEAD


def _as_release_0_1_left_it(path: Path) -> None:
    """Turn a database into one the `create_schema` of werkmatch 0.1 made: no
    `alembic_version`, the audit's person index not filled yet and one column (added by a
    later 0.1 release) missing."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE alembic_version")
        conn.execute("DELETE FROM audit_subjects")
        conn.execute('ALTER TABLE "api_keys" DROP COLUMN "expires_at"')
    conn.close()


def test_a_database_made_before_migrations_is_migrated_in_place(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'werkmatch.db'}"
    old = Store(url)
    rowids = old.upsert([jobseeker(id=f"WZ-{i}") for i in range(3)])
    old.delete(Kind.JOBSEEKERS, "WZ-2")
    old.upsert([vacancy()])
    old.ledger.write_audit("k", "matchmaker", "/v1/x", ["WZ-0"], purpose="voor de migratie")
    revision = old.changes.revision(Kind.JOBSEEKERS)
    old.engine.dispose()
    _as_release_0_1_left_it(tmp_path / "werkmatch.db")
    store = Store(url)
    assert _version(store) == HEAD
    assert store.rowids(Kind.JOBSEEKERS, ["WZ-0", "WZ-1"]) == {"WZ-0": rowids[0], "WZ-1": rowids[1]}
    assert store.ids(Kind.VACANCIES) == ["VAC-T1"]
    assert store.changes.revision(Kind.JOBSEEKERS) == revision
    (entry,) = store.ledger.audit_rows(jobseeker_id="WZ-0")  # the person index was refilled
    assert entry["purpose"] == "voor de migratie"
    made = store.ledger.create_key("werkcoach", days=1)  # the restored column works
    assert store.ledger.key_owner(made.key) is not None
    (new,) = store.upsert([jobseeker(id="WZ-NEW")])
    assert new > rowids[2]  # the erased WZ-2's rowid is not given again


def _as_revision_0001_left_it(store: Store) -> None:
    """Turn a database back into one at revision 0001: no CV-fact columns."""
    with store.engine.begin() as conn:
        for table in ("jobseekers", "vacancies"):
            conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "experience_years"'))
            conn.execute(text(f'ALTER TABLE "{table}" DROP COLUMN "cares_for_children"'))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    store.engine.dispose()


def test_migration_0002_reads_the_cv_facts_of_rows_stored_before_it(database_url: str):
    old = Store(database_url)
    cvs = {
        "WZ-0": "Kok met 12 jaar ervaring; ik zorg voor mijn kinderen.",
        "WZ-1": "Van 2016 tot 2020 magazijnmedewerker.",
        "WZ-2": "",
    }
    old.upsert([jobseeker(id=i, cv_text=cv) for i, cv in cvs.items()])
    old.upsert([vacancy()])
    _as_revision_0001_left_it(old)
    store = Store(database_url)
    assert _version(store) == HEAD
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, experience_years, cares_for_children FROM jobseekers ORDER BY id")
        ).all()
        (vacancy_facts,) = conn.execute(
            text("SELECT experience_years, cares_for_children FROM vacancies")
        ).all()
    assert [(i, y, bool(c)) for i, y, c in rows] == [
        ("WZ-0", 12, True),
        ("WZ-1", 4, False),
        ("WZ-2", 0, False),
    ]
    assert tuple(vacancy_facts) == (None, None)  # vacancies have no CV
