"""Opening the SQL database: engine, SQLite settings, schema migrations, the write lock,
small helpers."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

from matching.records import Kind
from matching.schema import (
    TABLES,
    audit,
    audit_subjects,
    embeddings,
    metadata,
    revisions,
    tombstones,
)

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_LOCK = 1_717_171_717  # PostgreSQL advisory lock key held while migrating
IN_CHUNK = 900  # ids per IN (...) list: below SQLite's bound-parameter limit
READ_CHUNK = 20_000  # ids per `in_ids` statement (bounds the rows, e.g. raw JSON, held at once)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    """Consecutive slices of at most `size` items."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def in_ids(
    column: ColumnElement[Any], dialect: str, element: type[TypeEngine[Any]] = BigInteger
) -> ColumnElement[bool]:
    """`column IN :ids` with all ids bound as one value (`ids_value`): a JSON array read by
    `json_each` on SQLite, an array of `element` on PostgreSQL. The statement is the same
    for any number of ids, so it is compiled once; an IN list of 500 parameters took ~3.5 ms
    to render and bind per query (a shortlist reads 500 candidates)."""
    if dialect == "postgresql":
        return column == any_(bindparam("ids", type_=ARRAY(element)))
    return column.in_(select(func.json_each(bindparam("ids")).table_valued("value").c.value))


def ids_value(dialect: str, ids: Sequence[int] | Sequence[str]) -> Any:
    """The `:ids` value of `in_ids` for these ids (rowids, or record ids as text)."""
    values = [i if isinstance(i, str) else int(i) for i in ids]
    return values if dialect == "postgresql" else json.dumps(values)


BUSY_SECONDS = 30.0  # how long a connection waits for another's write lock


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    _switch_to_wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed: erased text does not linger
    cur.close()


def _switch_to_wal(cur: Any) -> None:
    """`PRAGMA journal_mode=WAL`, retried while the file is locked: when processes open a
    new database at once, SQLite can answer "database is locked" at once, without waiting
    out the busy timeout (it does so where waiting could deadlock)."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def open_engine(url: str) -> Engine:
    """An engine on `url` whose schema and revision counters exist."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    create_schema(engine)
    return engine


def create_schema(engine: Engine) -> None:
    """Migrate the schema to the newest revision (Alembic, `matching/migrations/`) and make
    the revision counters exist, as one write transaction.

    Holding the write lock from the first check to the commit lets several processes open
    a new database at the same moment (CLI ingest and service, say; or two replicas). A
    database made before migrations (no `alembic_version`, by the `create_schema` of
    werkmatch 0.1) is first brought to revision 0001 in place, its rows kept, and stamped.
    """
    if _up_to_date(engine):
        return  # the common case: no write lock, no migration scripts loaded
    with engine.connect() as conn:
        _lock_schema(conn)
        tables = set(inspect(conn).get_table_names())
        if "revisions" in tables and "alembic_version" not in tables:
            _to_revision_0001(conn)
            _alembic(conn, "stamp", "0001")
        _alembic(conn, "upgrade", "head")
        existing = {r[0] for r in conn.execute(select(revisions.c.kind))}
        for kind in Kind:
            if kind.value not in existing:
                conn.execute(insert(revisions).values(kind=kind.value, revision=0))
        conn.commit()


def _up_to_date(engine: Engine) -> bool:
    """Whether the database is at the newest revision with every revision counter (read
    without a lock: a database that is up to date stays so)."""
    with engine.connect() as conn:
        if not {"alembic_version", "revisions"} <= set(inspect(conn).get_table_names()):
            return False
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
        kinds = {r[0] for r in conn.execute(select(revisions.c.kind))}
        return list(version) == [_head()] and kinds >= {k.value for k in Kind}


@lru_cache(maxsize=1)
def _head() -> str:
    """The newest migration's revision id (read once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def _lock_schema(conn: Any) -> None:
    """SQLite: the database's write lock. PostgreSQL: an advisory lock until the commit."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")


def _alembic(conn: Any, command_name: str, revision: str) -> None:
    """Run an Alembic command on `conn`, inside its transaction."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    getattr(command, command_name)(config, revision)


def _to_revision_0001(conn: Any) -> None:
    """What `create_schema` did before migrations, so an old database equals revision 0001:
    AUTOINCREMENT on SQLite, missing tables and (nullable) columns, the audit's person
    index. Frozen at 0001: later schema changes are migrations, never added here."""
    if conn.dialect.name == "sqlite":
        _never_reuse_rowids(conn)
    metadata.create_all(conn)
    _add_missing_columns(conn)
    _link_audit_subjects(conn)


def _never_reuse_rowids(conn: Any) -> None:
    """Migrate record tables made before AUTOINCREMENT: rebuild each with it, rowids kept,
    and start the sequence past every rowid ever used (tombstones and vectors included)."""
    for kind, table in TABLES.items():
        ddl = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table.name,)
        ).scalar()
        if ddl is None or "AUTOINCREMENT" in ddl.upper():
            continue
        old = f"{table.name}_without_autoincrement"
        conn.exec_driver_sql(f'ALTER TABLE "{table.name}" RENAME TO "{old}"')
        for index in table.indexes:
            conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index.name}"')
        had = {c["name"] for c in inspect(conn).get_columns(old)}
        table.create(conn)
        cols = ", ".join(f'"{c.name}"' for c in table.columns if c.name in had)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM "{old}"')
        conn.exec_driver_sql(f'DROP TABLE "{old}"')
        used = [
            conn.execute(select(func.max(table.c.rowid))).scalar() or 0,
            conn.execute(
                select(func.max(tombstones.c.rowid)).where(tombstones.c.kind == kind.value)
            ).scalar()
            or 0,
            conn.execute(
                select(func.max(embeddings.c.rowid)).where(embeddings.c.kind == kind.value)
            ).scalar()
            or 0,
        ]
        conn.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table.name,))
        conn.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table.name, max(used))
        )


def _link_audit_subjects(conn: Any) -> None:
    """Fill the audit's person index for entries written before it existed."""
    if conn.execute(select(func.count()).select_from(audit_subjects)).scalar():
        return
    rows = [
        {"audit_id": entry_id, "jobseeker_id": jid}
        for entry_id, ids in conn.execute(select(audit.c.id, audit.c.jobseeker_ids))
        for jid in dict.fromkeys(ids or [])
    ]
    if rows:
        conn.execute(insert(audit_subjects), rows)


def _add_missing_columns(conn: Any) -> None:
    """Columns added to existing tables by later releases (all nullable), added in place."""
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=conn.dialect)
                add = f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                conn.exec_driver_sql(add)


def lock_for_writes(conn: Any, kind: Kind) -> None:
    """Take the write lock for `kind` at the start of the caller's transaction, so a read
    followed by writes (an upsert's look-up, say) sees no concurrent writer in between.

    SQLite: a no-op UPDATE as the first statement takes the database's write lock, as
    `BEGIN IMMEDIATE` does. PostgreSQL: `SELECT ... FOR UPDATE` on the kind's revisions row,
    which every write of the kind bumps; other replicas' writers wait for the commit.
    """
    row = revisions.c.kind == kind.value
    if conn.dialect.name == "sqlite":
        conn.execute(update(revisions).where(row).values(revision=revisions.c.revision))
    else:
        conn.execute(select(revisions.c.revision).where(row).with_for_update())


def checkpoint(engine: Engine, tables: tuple[str, ...] = ()) -> None:
    """Make deleted data linger in no file, as far as the backend allows.

    SQLite: write the log into the database file and empty it (freed pages were zeroed by
    `secure_delete`). PostgreSQL: VACUUM the touched `tables` (outside a transaction), which
    marks the dead row versions free and truncates empty pages at the end of a table; it
    does not overwrite the freed space inside a page, nor the write-ahead log, nor backups.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif engine.dialect.name == "postgresql" and tables:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f'VACUUM "{table}"')
