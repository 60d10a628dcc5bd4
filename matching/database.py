"""Opening the SQL database: engine, SQLite settings, schema creation, small helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select

from matching.records import Kind
from matching.schema import metadata, revisions

IN_CHUNK = 900  # ids per IN (...) list: below SQLite's bound-parameter limit


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    """Consecutive slices of at most `size` items."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL also waits for the lock
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def open_engine(url: str) -> Engine:
    """An engine on `url` whose schema and revision counters exist."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    create_schema(engine)
    return engine


def create_schema(engine: Engine) -> None:
    """Create missing tables and revision counters as one write transaction.

    Holding the write lock from the first check to the commit lets several processes
    open a new database file at the same moment (CLI ingest and service, say).
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        metadata.create_all(conn)
        existing = {r[0] for r in conn.execute(select(revisions.c.kind))}
        for kind in Kind:
            if kind.value not in existing:
                conn.execute(insert(revisions).values(kind=kind.value, revision=0))
        conn.commit()
