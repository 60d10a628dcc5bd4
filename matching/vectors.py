"""Stored vectors: one row per (record, model, prompt), current while its text hash matches.

Vectors of several models live side by side (keyed by model id), so an embedder switch
builds the new model's vectors while the old one serves. `passage` vectors are what the
indexes hold (writing them bumps the kind's revision); `query` vectors are a cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Engine, Select, bindparam, delete, func, insert, select

from matching.changes import bump
from matching.database import READ_CHUNK, chunks, ids_value, in_ids, lock_for_writes
from matching.records import RECORD_CLASS, Kind, from_stored
from matching.schema import TABLES, embeddings
from matching.texts import record_text


def delete_vectors_of(conn: Any, kind: Kind, rowid: int) -> int:
    """Remove every model's vectors of one record, inside the caller's transaction."""
    return conn.execute(
        delete(embeddings).where(embeddings.c.kind == kind.value, embeddings.c.rowid == rowid)
    ).rowcount


class VectorStore:
    """Embeddings of the records, per model and prompt."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    def _pending(self, kind: Kind, model_id: str, prompt: str, *columns):
        table, e = TABLES[kind], embeddings
        join = table.outerjoin(
            e,
            (e.c.rowid == table.c.rowid)
            & (e.c.kind == kind.value)
            & (e.c.model_id == model_id)
            & (e.c.prompt == prompt),
        )
        stale = (e.c.text_hash.is_(None)) | (e.c.text_hash != table.c.text_hash)
        return select(*columns).select_from(join).where(stale)

    def count_pending(self, kind: Kind, model_id: str, prompt: str = "passage") -> int:
        """How many records have no current embedding for this model."""
        with self.engine.connect() as conn:
            return conn.execute(self._pending(kind, model_id, prompt, func.count())).scalar_one()

    def pending_rowids(self, kind: Kind, model_id: str, prompt: str = "passage") -> np.ndarray:
        """Rowids of the records without a current embedding for this model, in order."""
        table = TABLES[kind]
        stmt = self._pending(kind, model_id, prompt, table.c.rowid).order_by(table.c.rowid)
        with self.engine.connect() as conn:
            return np.fromiter(conn.execute(stmt).scalars(), dtype=np.int64)

    def pending_texts(
        self,
        kind: Kind,
        model_id: str,
        prompt: str = "passage",
        limit: int | None = None,
        after: int = 0,
        upto: int | None = None,
    ) -> list[tuple[int, str, str]]:
        """(rowid, text_hash, text) of records without a current embedding for this model,
        in rowid order from `after` on (to `upto`): page with `limit` and the last rowid."""
        table = TABLES[kind]
        stmt = (
            self._pending(kind, model_id, prompt, table.c.rowid, table.c.text_hash, table.c.data)
            .where(table.c.rowid > after)
            .order_by(table.c.rowid)
        )
        if upto is not None:
            stmt = stmt.where(table.c.rowid <= upto)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        cls = RECORD_CLASS[kind]
        return [(r, h, record_text(from_stored(cls, d))) for r, h, d in rows]

    def put(
        self,
        kind: Kind,
        model_id: str,
        items: Sequence[tuple[int, str]],
        vectors: np.ndarray,
        prompt: str = "passage",
    ) -> None:
        """Store vectors for (rowid, text_hash) items, replacing older ones, in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self.engine.begin() as conn:
            lock_for_writes(conn, kind)
            rev = bump(conn, kind) if prompt == "passage" else 0
            rows = [
                {
                    "kind": kind.value,
                    "rowid": int(r),
                    "model_id": model_id,
                    "prompt": prompt,
                    "text_hash": h,
                    "vector": vectors[i].tobytes(),
                    "rev": rev,
                }
                for i, (r, h) in enumerate(items)
            ]
            for chunk in chunks([int(r) for r, _ in items]):
                conn.execute(
                    delete(embeddings).where(
                        embeddings.c.kind == kind.value,
                        embeddings.c.model_id == model_id,
                        embeddings.c.prompt == prompt,
                        embeddings.c.rowid.in_(chunk),
                    )
                )
            if rows:
                conn.execute(insert(embeddings), rows)

    def models(self) -> dict[str, int]:
        """Model ids that have stored vectors, with how many (both kinds, both prompts)."""
        stmt = select(embeddings.c.model_id, func.count()).group_by(embeddings.c.model_id)
        with self.engine.connect() as conn:
            return dict(conn.execute(stmt).tuples().all())

    def drop_model(self, model_id: str) -> int:
        """Drop every stored vector of one model; returns how many rows went."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(embeddings).where(embeddings.c.model_id == model_id)
            ).rowcount

    def load(
        self,
        kind: Kind,
        model_id: str,
        prompt: str = "passage",
        rowids: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, vectors) of current embeddings (text hash matching the record)."""
        ids: list[int] = []
        blobs: list[bytes] = []
        stmt = _load_stmt(kind, self._dialect, by_ids=rowids is not None)
        params = {"kind": kind.value, "model_id": model_id, "prompt": prompt}
        with self.engine.connect() as conn:
            parts = [None] if rowids is None else list(chunks(list(rowids), READ_CHUNK))
            for part in parts:
                if part is not None:
                    params["ids"] = ids_value(self._dialect, part)
                for rowid, blob in conn.execute(stmt, params):
                    ids.append(rowid)
                    blobs.append(blob)
        if not blobs:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
        return np.asarray(ids, dtype=np.int64), vectors


@cache
def _load_stmt(kind: Kind, dialect: str, by_ids: bool) -> Select[Any]:
    """Rowid and vector of the current embeddings of one kind, model and prompt (bound as
    `:kind`, `:model_id`, `:prompt`), of the rowids in `:ids` when `by_ids`; built once."""
    table, e = TABLES[kind], embeddings
    stmt = (
        select(e.c.rowid, e.c.vector)
        .join(table, (table.c.rowid == e.c.rowid) & (table.c.text_hash == e.c.text_hash))
        .where(
            e.c.kind == bindparam("kind"),
            e.c.model_id == bindparam("model_id"),
            e.c.prompt == bindparam("prompt"),
        )
        .order_by(e.c.rowid)
    )
    return stmt.where(in_ids(e.c.rowid, dialect)) if by_ids else stmt
