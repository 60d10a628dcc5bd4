"""Change tracking: a revision counter per record kind, row stamps and tombstones.

Every write bumps its kind's revision inside its own transaction and stamps the rows it
touched; a deletion leaves a tombstone. A follower (the vector index, a candidate table)
remembers the revision it reflects and asks only for what changed since.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, select, update

from matching.records import Kind
from matching.schema import TABLES, embeddings, revisions, tombstones


def bump(conn: Any, kind: Kind) -> int:
    """Increment the kind's revision inside the caller's transaction; returns the new one."""
    conn.execute(
        update(revisions)
        .where(revisions.c.kind == kind.value)
        .values(revision=revisions.c.revision + 1)
    )
    stmt = select(revisions.c.revision).where(revisions.c.kind == kind.value)
    return conn.execute(stmt).scalar_one()


def record_deletion(conn: Any, kind: Kind, rowid: int) -> int:
    """Bump the revision and leave a tombstone for a deleted row; returns the revision."""
    rev = bump(conn, kind)
    conn.execute(insert(tombstones).values(kind=kind.value, rowid=rowid, rev=rev))
    return rev


class ChangeLog:
    """Reads of the revisions and of what changed after one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def revision(self, kind: Kind) -> int:
        with self.engine.connect() as conn:
            stmt = select(revisions.c.revision).where(revisions.c.kind == kind.value)
            return conn.execute(stmt).scalar_one()

    def records_since(self, kind: Kind, rev: int) -> list[int]:
        """Rowids of records written (inserted or updated) after revision `rev`."""
        table = TABLES[kind]
        with self.engine.connect() as conn:
            stmt = select(table.c.rowid).where(table.c.rev > rev).order_by(table.c.rowid)
            return list(conn.execute(stmt).scalars())

    def since(self, kind: Kind, rev: int, model_id: str) -> tuple[set[int], set[int]]:
        """(changed rowids, deleted rowids) of a kind after revision `rev`, as an index of
        `model_id`'s vectors sees them (other models' new vectors are no change to it)."""
        changed = set(self.records_since(kind, rev))
        with self.engine.connect() as conn:
            changed |= set(
                conn.execute(
                    select(embeddings.c.rowid).where(
                        embeddings.c.kind == kind.value,
                        embeddings.c.rev > rev,
                        embeddings.c.model_id == model_id,
                        embeddings.c.prompt == "passage",
                    )
                ).scalars()
            )
            deleted = set(
                conn.execute(
                    select(tombstones.c.rowid).where(
                        tombstones.c.kind == kind.value, tombstones.c.rev > rev
                    )
                ).scalars()
            )
        return changed - deleted, deleted
