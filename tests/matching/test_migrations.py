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


def _version(store: Store) -> str:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_a_fresh_database_is_made_by_the_migrations(database_url: str):
    store = Store(database_url)
    assert _version(store) == "0001"
    have = set(inspect(store.engine).get_table_names())
    assert have == {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    assert {k: store.changes.revision(k) for k in Kind} == {k: 0 for k in Kind}
    Store(database_url)  # opening again is a no-op
    assert _version(store) == "0001"


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
    assert _version(store) == "0001"
    assert store.rowids(Kind.JOBSEEKERS, ["WZ-0", "WZ-1"]) == {"WZ-0": rowids[0], "WZ-1": rowids[1]}
    assert store.ids(Kind.VACANCIES) == ["VAC-T1"]
    assert store.changes.revision(Kind.JOBSEEKERS) == revision
    (entry,) = store.ledger.audit_rows(jobseeker_id="WZ-0")  # the person index was refilled
    assert entry["purpose"] == "voor de migratie"
    made = store.ledger.create_key("werkcoach", days=1)  # the restored column works
    assert store.ledger.key_owner(made.key) is not None
    (new,) = store.upsert([jobseeker(id="WZ-NEW")])
    assert new > rowids[2]  # the erased WZ-2's rowid is not given again
