"""The logical copy between databases (`matching/transfer.py`): SQLite into the chosen
backend (`--store=postgresql` for PostgreSQL) and back, rowids and sequences kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.errors import InvalidInputError
from matching.records import Kind
from matching.store import Store
from matching.transfer import copy_database
from tests.factories import jobseeker, vacancy


def _filled(url: str) -> Store:
    """Three jobseekers (the last deleted: its rowid is the highest ever used), a vector,
    a vacancy, an outcome and an audit entry."""
    store = Store(url)
    rowids = store.upsert([jobseeker(id=f"WZ-{i}") for i in range(3)])
    store.delete(Kind.JOBSEEKERS, "WZ-2")
    h = store.vectors.pending_texts(Kind.JOBSEEKERS, "m")[0][1]
    store.vectors.put(Kind.JOBSEEKERS, "m", [(rowids[0], h)], np.ones((1, 4), np.float32))
    store.upsert([vacancy()])
    store.ledger.add_outcomes(
        [{"vacancy_id": "VAC-T1", "jobseeker_id": "WZ-0", "outcome": "placed"}]
    )
    store.ledger.write_audit("k", "matchmaker", "/v1/x", ["WZ-0"], purpose="test")
    return store


def test_copy_keeps_rows_rowids_revisions_and_never_reuses_a_rowid(
    tmp_path: Path, database_url: str
):
    source = _filled(f"sqlite:///{tmp_path / 'src.db'}")
    report = copy_database(source.url, database_url)
    assert report.rows["jobseekers"] == 2 and report.rows["embeddings"] == 1
    target = Store(database_url)
    for kind in Kind:
        assert target.changes.revision(kind) == source.changes.revision(kind)
        assert target.rowids(kind, target.ids(kind)) == source.rowids(kind, source.ids(kind))
    rowid = source.rowid(Kind.JOBSEEKERS, "WZ-0")
    assert target.by_rowids(Kind.JOBSEEKERS, [rowid]) == source.by_rowids(Kind.JOBSEEKERS, [rowid])
    assert target.vectors.models() == {"m": 1}
    assert target.ledger.outcome_rows()[0]["outcome"] == "placed"
    (entry,) = target.ledger.audit_rows(jobseeker_id="WZ-0")
    assert entry["at"].tzinfo is not None or target.engine.dialect.name == "sqlite"
    (new,) = target.upsert([jobseeker(id="WZ-NEW")])
    assert new == 4  # past the deleted WZ-2's rowid 3: a tombstoned rowid is never reused
    target.ledger.write_audit("k", "matchmaker", "/v1/y", ["WZ-NEW"])  # its sequence moved on
    back = f"sqlite:///{tmp_path / 'back.db'}"
    assert copy_database(database_url, back).rows["jobseekers"] == 3
    assert Store(back).upsert([jobseeker(id="WZ-NEWER")]) == [5]


def test_copy_refuses_a_non_empty_target_before_writing(tmp_path: Path, database_url: str):
    source = _filled(f"sqlite:///{tmp_path / 'src.db'}")
    Store(database_url).upsert([vacancy(id="VAC-THERE")])
    with pytest.raises(InvalidInputError, match="vacancies is not empty"):
        copy_database(source.url, database_url)
    target = Store(database_url)
    assert target.ids(Kind.VACANCIES) == ["VAC-THERE"] and target.count(Kind.JOBSEEKERS) == 0


def test_backup_and_restore_move_between_backends(
    tmp_path: Path, database_url: str, postgres, model_dir: Path
):
    """A store on the chosen backend is backed up (a SQLite file in the backup) and restored
    into an empty database of that backend; a non-empty one is refused before any copy."""
    from matching.backup import BackupError, backup, restore
    from matching.config import Settings

    store = _filled(database_url)
    settings = Settings(home=tmp_path / "home", model_dir=model_dir, database_url=database_url)
    backup(settings, store, tmp_path / "backup")
    fresh = postgres.new_database() if postgres else f"sqlite:///{tmp_path / 'new.db'}"
    again = Settings(home=tmp_path / "new", model_dir=model_dir, database_url=fresh)
    restore(tmp_path / "backup", again)
    restored = Store(fresh)
    assert restored.ids(Kind.JOBSEEKERS) == store.ids(Kind.JOBSEEKERS) == ["WZ-0", "WZ-1"]
    assert restored.changes.revision(Kind.JOBSEEKERS) == store.changes.revision(Kind.JOBSEEKERS)
    with pytest.raises(BackupError):
        restore(tmp_path / "backup", again)  # not empty now (SQLite: the file exists)
    assert restored.ids(Kind.JOBSEEKERS) == ["WZ-0", "WZ-1"]


def test_copy_database_command(tmp_path: Path, database_url: str, capsys):
    from api.cli import main

    source = _filled(f"sqlite:///{tmp_path / 'src.db'}")
    assert main(["copy-database", source.url, database_url]) == 0
    assert '"jobseekers": 2' in capsys.readouterr().out
    assert main(["copy-database", source.url, database_url]) == 2  # refused: not empty
    assert Store(database_url).count(Kind.JOBSEEKERS) == 2
