"""The store: the source of truth for records, embeddings, outcomes and the audit log.

SQLAlchemy 2.0 Core, so the default SQLite file (WAL) and a PostgreSQL URL both work.
Every record row has an integer `rowid` that the vector indexes use as their id.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    type_coerce,
    update,
)

from matching.fifo import FifoCache
from matching.records import (
    EDUCATION_RANK,
    Jobseeker,
    Vacancy,
    VacancyStatus,
    from_stored,
    licence_closure,
    licence_mask,
)
from matching.schema import (  # noqa: F401 - re-exported: the store's public names
    RECORD_CLASS,
    TABLES,
    Kind,
    OutcomeKind,
    api_keys,
    audit,
    embeddings,
    metadata,
    outcomes,
    revisions,
    tombstones,
)
from matching.texts import record_text, text_hash


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL also waits for the lock
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _occupation_columns(table: Table) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Resolved occupation URI and confidence; a record without a mapping has confidence 0."""
    return table.c.occupation_uri, func.coalesce(table.c.occupation_confidence, 0.0)


RECORD_CACHE = 20_000  # parsed records kept per kind (more costs garbage-collector time)


class Store:
    """Records, embeddings, outcomes and audit in one SQL database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._records: dict[Kind, FifoCache[int, tuple[int, Any]]] = {
            k: FifoCache(RECORD_CACHE) for k in Kind
        }
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._create_schema()

    def _create_schema(self) -> None:
        """Create missing tables and revision counters as one write transaction.

        Holding the write lock from the first check to the commit lets several processes
        open a new database file at the same moment (CLI ingest and service, say).
        """
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            metadata.create_all(conn)
            existing = {r[0] for r in conn.execute(select(revisions.c.kind))}
            for kind in Kind:
                if kind.value not in existing:
                    conn.execute(insert(revisions).values(kind=kind.value, revision=0))
            conn.commit()

    # ------------------------------------------------------------------ records
    def upsert(
        self,
        records: Sequence[Jobseeker | Vacancy],
        occupations: dict[str, tuple[str | None, float]] | None = None,
    ) -> list[int]:
        """Insert or replace records of one kind in one transaction; returns their rowids.

        `occupations` holds the inferred (URI, confidence) of records that name no ESCO
        occupation, written in the same transaction. Records whose stored data is identical
        are left as they are (no new revision), so re-running an ingest writes only changes.
        """
        if not records:
            return []
        kind = kind_of(records[0])
        if any(kind_of(r) != kind for r in records):
            raise ValueError("upsert takes records of one kind at a time")
        table = TABLES[kind]
        now = _now()
        if len({r.id for r in records}) != len(records):
            raise ValueError("duplicate ids in one upsert")
        rows = [_row_of(r, now, occupations or {}) for r in records]
        with self.engine.begin() as conn:
            stored = self._stored(conn, kind, [r["id"] for r in rows])
            changed = [r for r in rows if r["id"] not in stored or stored[r["id"]][1] != r["data"]]
            if changed:
                rev = self._bump(conn, kind)
                new = [{**r, "rev": rev} for r in changed if r["id"] not in stored]
                if new:
                    conn.execute(insert(table), new)
                for r in changed:
                    if r["id"] in stored:
                        stmt = update(table).where(table.c.id == r["id"])
                        conn.execute(stmt.values(**r, rev=rev))
            ids = self._rowids(conn, kind, [r["id"] for r in rows])
        return [ids[r["id"]] for r in rows]

    def _stored(self, conn: Any, kind: Kind, ids: Sequence[str]) -> dict[str, tuple[int, Any]]:
        """id -> (rowid, stored data) of the ids that exist."""
        table = TABLES[kind]
        out: dict[str, tuple[int, Any]] = {}
        for chunk in _chunks(list(ids), 900):
            stmt = select(table.c.id, table.c.rowid, table.c.data).where(table.c.id.in_(chunk))
            for rid, rowid, data in conn.execute(stmt):
                out[rid] = (rowid, json.loads(data) if isinstance(data, str) else data)
        return out

    def delete(self, kind: Kind, record_id: str) -> bool:
        """Delete a record and its embeddings; True when it existed."""
        table = TABLES[kind]
        with self.engine.begin() as conn:
            rowid = conn.execute(select(table.c.rowid).where(table.c.id == record_id)).scalar()
            if rowid is None:
                return False
            conn.execute(
                delete(embeddings).where(
                    embeddings.c.kind == kind.value, embeddings.c.rowid == rowid
                )
            )
            conn.execute(delete(table).where(table.c.rowid == rowid))
            rev = self._bump(conn, kind)
            conn.execute(insert(tombstones).values(kind=kind.value, rowid=rowid, rev=rev))
        return True

    def get(self, kind: Kind, record_id: str) -> Jobseeker | Vacancy | None:
        """One record by its id, or None."""
        table = TABLES[kind]
        with self.engine.connect() as conn:
            data = conn.execute(select(table.c.data).where(table.c.id == record_id)).scalar()
        return None if data is None else _load(kind, data)

    def rowid(self, kind: Kind, record_id: str) -> int | None:
        with self.engine.connect() as conn:
            return self._rowids(conn, kind, [record_id]).get(record_id)

    def by_rowids(self, kind: Kind, rowids: Sequence[int]) -> dict[int, Jobseeker | Vacancy]:
        """Records by rowid (missing rowids are left out)."""
        return self.with_occupations(kind, rowids)[0]

    def with_occupations(
        self, kind: Kind, rowids: Sequence[int]
    ) -> tuple[dict[int, Jobseeker | Vacancy], dict[int, tuple[str | None, float]]]:
        """Records by rowid and their resolved occupation (URI, confidence), in one query.

        Parsed records are cached by (rowid, row revision): a changed row has a new revision,
        so the cache can never serve a stale record. Occupations are read fresh every time.
        """
        table = TABLES[kind]
        cache = self._records[kind]
        cls = RECORD_CLASS[kind]
        records: dict[int, Jobseeker | Vacancy] = {}
        occupations: dict[int, tuple[str | None, float]] = {}
        # the JSON as text, parsed by pydantic only on a cache miss (no json.loads)
        cols = (
            table.c.rowid,
            table.c.rev,
            type_coerce(table.c.data, Text),
            *_occupation_columns(table),
        )
        with self.engine.connect() as conn:
            for chunk in _chunks([int(r) for r in rowids], 900):
                stmt = select(*cols).where(table.c.rowid.in_(chunk))
                for rowid, rev, raw, uri, conf in conn.execute(stmt):
                    occupations[rowid] = (uri, conf)
                    hit = cache.get(rowid)
                    if hit is not None and hit[0] == rev:
                        records[rowid] = hit[1]
                        continue
                    records[rowid] = record = from_stored(cls, raw)
                    cache[rowid] = (rev, record)
        return records, occupations

    def occupations(self, kind: Kind, rowids: Sequence[int]) -> dict[int, tuple[str | None, float]]:
        """Resolved occupation URI and its confidence per rowid."""
        table = TABLES[kind]
        out: dict[int, tuple[str | None, float]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks([int(r) for r in rowids], 900):
                stmt = select(table.c.rowid, *_occupation_columns(table))
                for rowid, uri, conf in conn.execute(stmt.where(table.c.rowid.in_(chunk))):
                    out[rowid] = (uri, conf)
        return out

    def iter_records(self, kind: Kind, batch: int = 5000) -> Iterator[tuple[int, Any]]:
        """(rowid, record) for every record of a kind, in rowid order."""
        table = TABLES[kind]
        last = 0
        while True:
            with self.engine.connect() as conn:
                stmt = (
                    select(table.c.rowid, table.c.data)
                    .where(table.c.rowid > last)
                    .order_by(table.c.rowid)
                    .limit(batch)
                )
                rows = conn.execute(stmt).all()
            if not rows:
                return
            for rowid, data in rows:
                yield rowid, _load(kind, data)
            last = rows[-1][0]

    def ids(self, kind: Kind) -> list[str]:
        table = TABLES[kind]
        with self.engine.connect() as conn:
            return list(conn.execute(select(table.c.id).order_by(table.c.rowid)).scalars())

    def count(self, kind: Kind) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(TABLES[kind])).scalar_one()

    def revision(self, kind: Kind) -> int:
        with self.engine.connect() as conn:
            stmt = select(revisions.c.revision).where(revisions.c.kind == kind.value)
            return conn.execute(stmt).scalar_one()

    # --------------------------------------------------------------- embeddings
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

    def pending_texts(
        self,
        kind: Kind,
        model_id: str,
        prompt: str = "passage",
        limit: int | None = None,
        after: int = 0,
    ) -> list[tuple[int, str, str]]:
        """(rowid, text_hash, text) of records without a current embedding for this model,
        in rowid order from `after` on: page with `limit` and the last rowid seen."""
        table = TABLES[kind]
        stmt = (
            self._pending(kind, model_id, prompt, table.c.rowid, table.c.text_hash, table.c.data)
            .where(table.c.rowid > after)
            .order_by(table.c.rowid)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [(r, h, record_text(_load(kind, d))) for r, h, d in rows]

    def put_embeddings(
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
            rev = self._bump(conn, kind) if prompt == "passage" else 0
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
            for chunk in _chunks([int(r) for r, _ in items], 900):
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

    def embedding_models(self) -> dict[str, int]:
        """Model ids that have stored vectors, with how many (both kinds, both prompts)."""
        stmt = select(embeddings.c.model_id, func.count()).group_by(embeddings.c.model_id)
        with self.engine.connect() as conn:
            return dict(conn.execute(stmt).tuples().all())

    def delete_embeddings(self, model_id: str) -> int:
        """Drop every stored vector of one model; returns how many rows went."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(embeddings).where(embeddings.c.model_id == model_id)
            ).rowcount

    def load_embeddings(
        self,
        kind: Kind,
        model_id: str,
        prompt: str = "passage",
        rowids: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, vectors) of current embeddings (text hash matching the record)."""
        table, e = TABLES[kind], embeddings
        stmt = (
            select(e.c.rowid, e.c.vector)
            .join(table, (table.c.rowid == e.c.rowid) & (table.c.text_hash == e.c.text_hash))
            .where(e.c.kind == kind.value, e.c.model_id == model_id, e.c.prompt == prompt)
            .order_by(e.c.rowid)
        )
        ids: list[int] = []
        blobs: list[bytes] = []
        with self.engine.connect() as conn:
            chunks = [None] if rowids is None else list(_chunks([int(r) for r in rowids], 900))
            for chunk in chunks:
                s = stmt if chunk is None else stmt.where(e.c.rowid.in_(chunk))
                for rowid, blob in conn.execute(s):
                    ids.append(rowid)
                    blobs.append(blob)
        if not blobs:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
        return np.asarray(ids, dtype=np.int64), vectors

    # ---------------------------------------------------------- outcomes, audit
    def add_outcomes(self, items: Iterable[dict[str, Any]]) -> int:
        """Store outcome rows (vacancy_id, jobseeker_id, outcome, reason, source)."""
        now = _now()
        rows = [
            {
                "reason": None,
                "source": "api",
                "created_at": now,
                **item,
                "outcome": OutcomeKind(item["outcome"]).value,
            }
            for item in items
        ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(outcomes), rows)
        return len(rows)

    def delete_outcomes_of(self, jobseeker_id: str) -> int:
        """Remove every outcome that names a jobseeker (erasure)."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(outcomes).where(outcomes.c.jobseeker_id == jobseeker_id)
            ).rowcount

    def outcome_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(outcomes).order_by(outcomes.c.id))
            ]

    def write_audit(
        self,
        key_id: str,
        role: str,
        endpoint: str,
        jobseeker_ids: Sequence[str],
        purpose: str | None = None,
    ) -> None:
        """Record that a caller received personal data of these jobseekers."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit).values(
                    at=_now(),
                    key_id=key_id,
                    role=role,
                    endpoint=endpoint,
                    purpose=purpose,
                    jobseeker_ids=list(jobseeker_ids),
                )
            )

    def audit_rows(self, limit: int = 100, jobseeker_id: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` audit entries, optionally only those naming one jobseeker.

        The id list is JSON (portable across SQLite and PostgreSQL), so the jobseeker filter
        pages through the log newest first until `limit` entries match.
        """
        out: list[dict[str, Any]] = []
        before = None
        page = limit if jobseeker_id is None else max(limit, 1000)
        with self.engine.connect() as conn:
            while len(out) < limit:
                stmt = select(audit).order_by(audit.c.id.desc()).limit(page)
                if before is not None:
                    stmt = stmt.where(audit.c.id < before)
                rows = [dict(r._mapping) for r in conn.execute(stmt)]
                if not rows:
                    break
                before = rows[-1]["id"]
                out += [
                    r for r in rows if jobseeker_id is None or jobseeker_id in r["jobseeker_ids"]
                ]
                if jobseeker_id is None:
                    break
        return out[:limit]

    # ----------------------------------------------------------------- helpers
    def _rowids(self, conn: Any, kind: Kind, ids: Sequence[str]) -> dict[str, int]:
        table = TABLES[kind]
        out: dict[str, int] = {}
        for chunk in _chunks(list(ids), 900):
            for rid, rowid in conn.execute(
                select(table.c.id, table.c.rowid).where(table.c.id.in_(chunk))
            ):
                out[rid] = rowid
        return out

    @staticmethod
    def _bump(conn: Any, kind: Kind) -> int:
        """Increment the kind's revision inside the caller's transaction; returns the new one."""
        conn.execute(
            update(revisions)
            .where(revisions.c.kind == kind.value)
            .values(revision=revisions.c.revision + 1)
        )
        stmt = select(revisions.c.revision).where(revisions.c.kind == kind.value)
        return conn.execute(stmt).scalar_one()

    def records_changed_since(self, kind: Kind, rev: int) -> list[int]:
        """Rowids of records written (inserted or updated) after revision `rev`."""
        table = TABLES[kind]
        with self.engine.connect() as conn:
            stmt = select(table.c.rowid).where(table.c.rev > rev).order_by(table.c.rowid)
            return list(conn.execute(stmt).scalars())

    def changes_since(self, kind: Kind, rev: int, model_id: str) -> tuple[set[int], set[int]]:
        """(changed rowids, deleted rowids) of a kind after revision `rev`, as an index of
        `model_id`'s vectors sees them (other models' new vectors are no change to it)."""
        changed = set(self.records_changed_since(kind, rev))
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

    def market_frame(self, kind: Kind) -> pl.DataFrame:
        """postcode, occupation_uri, is_open and months_unemployed of every record (no PII)."""
        t = TABLES[kind]
        stmt = select(t.c.postcode, t.c.occupation_uri, t.c.is_open, t.c.months_unemployed)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return pl.DataFrame(
            rows,
            orient="row",
            schema={
                "postcode": pl.Utf8,
                "occupation_uri": pl.Utf8,
                "is_open": pl.Boolean,
                "months_unemployed": pl.Int64,
            },
        )

    def attributes(self, kind: Kind, rowids: Sequence[int] | None = None) -> dict[str, np.ndarray]:
        """Filterable attribute columns of all (or some) records, as numpy arrays."""
        table = TABLES[kind]
        cols = [
            table.c.rowid,
            table.c.postcode,
            table.c.radius_km,
            table.c.hours_lo,
            table.c.hours_hi,
            table.c.licence_mask,
            table.c.available_day,
            table.c.is_open,
            table.c.education_rank,
        ]
        stmt = select(*cols).order_by(table.c.rowid)
        rows: list[tuple] = []
        with self.engine.connect() as conn:
            if rowids is None:
                rows = conn.execute(stmt).all()
            else:
                for chunk in _chunks([int(r) for r in rowids], 900):
                    rows += conn.execute(stmt.where(table.c.rowid.in_(chunk))).all()
        names = [c.name for c in cols]
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        return {n: np.asarray(v) for n, v in zip(names, columns, strict=True)}

    def set_occupations(self, kind: Kind, values: dict[str, tuple[str | None, float]]) -> None:
        """Store the resolved occupation (URI, confidence) of records by id."""
        table = TABLES[kind]
        if not values:
            return
        stmt = (
            update(table)
            .where(table.c.id == bindparam("rid"))
            .values(occupation_uri=bindparam("uri"), occupation_confidence=bindparam("conf"))
        )
        rows = [{"rid": rid, "uri": uri, "conf": conf} for rid, (uri, conf) in values.items()]
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)


def kind_of(record: Jobseeker | Vacancy) -> Kind:
    """The Kind of a record instance."""
    if isinstance(record, Jobseeker):
        return Kind.JOBSEEKERS
    if isinstance(record, Vacancy):
        return Kind.VACANCIES
    raise TypeError(f"not a record: {type(record).__name__}")


def _row_of(
    record: Jobseeker | Vacancy,
    now: dt.datetime,
    inferred: dict[str, tuple[str | None, float]],
) -> dict[str, Any]:
    if isinstance(record, Jobseeker):
        uri = record.desired_esco_uri
        attrs = {
            "radius_km": record.max_travel_km,
            "hours_lo": record.hours_per_week,
            "hours_hi": record.hours_per_week,
            "licence_mask": licence_mask(licence_closure(record.licences)),
            "available_day": record.available_from.toordinal() if record.available_from else None,
            "is_open": True,
            "education_rank": EDUCATION_RANK[record.education],
            "months_unemployed": record.months_unemployed,
        }
    else:
        uri = record.esco_uri
        attrs = {
            "radius_km": None,
            "hours_lo": record.hours_min,
            "hours_hi": record.hours_max,
            "licence_mask": licence_mask(record.required_licences),
            "available_day": None,
            "is_open": record.status == VacancyStatus.OPEN,
            "education_rank": EDUCATION_RANK[record.min_education]
            if record.min_education
            else None,
        }
    occupation, confidence = (uri, 1.0) if uri else inferred.get(record.id, (None, None))
    return {
        **attrs,
        "id": record.id,
        "data": json.loads(record.model_dump_json()),
        "text_hash": text_hash(record_text(record)),
        "postcode": record.postcode,
        "occupation_uri": occupation,
        "occupation_confidence": confidence,
        "updated_at": now,
    }


def _load(kind: Kind, data: Any) -> Jobseeker | Vacancy:
    return from_stored(RECORD_CLASS[kind], data)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
