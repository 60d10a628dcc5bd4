"""A logical copy of a whole database to another, across backends (SQLite <-> PostgreSQL):
every table through SQLAlchemy in chunks, in primary-key order, rowids kept, sequences set
past every rowid ever used. The target must be empty; it is checked before anything is
written. Used by `werkmatch copy-database` and by backup and restore of a PostgreSQL store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import DateTime, Engine, Table, delete, func, insert, select, tuple_

from matching.database import open_engine
from matching.errors import InvalidInputError
from matching.records import Kind
from matching.schema import TABLES, embeddings, metadata, revisions, tombstones

CHUNK = 5000  # rows per read and per insert (far below PostgreSQL's 65,535 parameters/row)


@dataclass
class CopyReport:
    """Rows copied per table."""

    rows: dict[str, int] = field(default_factory=dict)


def copy_database(source_url: str, target_url: str, chunk: int = CHUNK) -> CopyReport:
    """Copy every table of `source_url` into the empty database at `target_url`."""
    source, target = open_engine(source_url), open_engine(target_url)
    try:
        refuse_non_empty(target)
        report = CopyReport()
        snapshot = {"isolation_level": "REPEATABLE READ"} if source.dialect.name != "sqlite" else {}
        with source.connect().execution_options(**snapshot) as read, target.begin() as write:
            write.execute(delete(revisions))  # the fresh counters are replaced by the source's
            for table in metadata.sorted_tables:
                report.rows[table.name] = _copy_table(read, write, table, chunk)
        reset_sequences(target)
        return report
    finally:
        source.dispose()
        target.dispose()


def refuse_non_empty(engine: Engine) -> None:
    """InvalidInputError when any table holds rows (or a revision has moved)."""
    with engine.connect() as conn:
        for table in sorted(metadata.sorted_tables, key=lambda t: t is revisions):
            query = select(func.count()).select_from(table)
            if table is revisions:
                query = query.where(revisions.c.revision != 0)
            if conn.execute(query).scalar():
                raise InvalidInputError(f"table {table.name} is not empty", "target")


def _copy_table(read, write, table: Table, chunk: int) -> int:
    """Rows of one table in primary-key order (keyset paging); returns how many."""
    key = list(table.primary_key.columns)
    stamps = [c.name for c in table.columns if isinstance(c.type, DateTime)]
    last, copied = None, 0
    while True:
        query = select(table).order_by(*key).limit(chunk)
        if last is not None:
            query = query.where(tuple_(*key) > tuple_(*last))
        rows = [dict(r._mapping) for r in read.execute(query)]
        if not rows:
            return copied
        for row in rows:
            for name in stamps:  # SQLite keeps no zone: its stamps are UTC
                if isinstance(row[name], dt.datetime) and row[name].tzinfo is None:
                    row[name] = row[name].replace(tzinfo=dt.UTC)
        write.execute(insert(table), rows)
        copied += len(rows)
        last = [rows[-1][c.name] for c in key]


def _rowids_used(conn, kind: Kind) -> int:
    """The highest rowid a kind has ever given: records, tombstones and vectors."""
    table = TABLES[kind]
    queries = [
        select(func.max(table.c.rowid)),
        select(func.max(tombstones.c.rowid)).where(tombstones.c.kind == kind.value),
        select(func.max(embeddings.c.rowid)).where(embeddings.c.kind == kind.value),
    ]
    return max(conn.execute(q).scalar() or 0 for q in queries)


def reset_sequences(engine: Engine) -> None:
    """Start every integer key's sequence past the copied rows, so no id is given twice."""
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            (key,) = table.primary_key.columns if len(table.primary_key.columns) == 1 else (None,)
            if key is None or key.autoincrement is not True:
                continue
            kind = next((k for k, t in TABLES.items() if t is table), None)
            if kind is None and conn.dialect.name == "sqlite":
                continue  # no AUTOINCREMENT: SQLite gives max(rowid) + 1
            used = (
                _rowids_used(conn, kind) if kind else conn.execute(select(func.max(key))).scalar()
            )
            _set_sequence(conn, table.name, key.name, used or 0)


def _set_sequence(conn, table: str, column: str, used: int) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence(%(t)s, %(c)s), %(v)s, %(called)s)",
            {"t": f'"{table}"', "c": column, "v": max(used, 1), "called": used > 0},
        )
    elif conn.dialect.name == "sqlite" and used:
        conn.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, used))
