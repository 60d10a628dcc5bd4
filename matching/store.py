"""The store: the source of truth for records, with their vectors, ledger and changes.

SQLAlchemy 2.0 Core, so the default SQLite file (WAL) and a PostgreSQL URL both work.
Every record row has an integer `rowid` that the vector indexes use as their id. The store
is a narrow facade: records here, and parts beside them on the same database: `vectors`
(embeddings per model), `ledger` (outcomes, audit, API keys), `changes` (per-kind revisions
the indexes follow), `directory` (users, teams, caseloads), `sessions` (the workspace's
browser sessions) and `history` (unemployment spells, segment overrides).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    type_coerce,
    update,
)

from matching.changes import ChangeLog, bump, record_deletion
from matching.database import (
    READ_CHUNK,
    chunks,
    ids_value,
    in_ids,
    lock_for_writes,
    open_engine,
    utc_now,
)
from matching.directory import Directory
from matching.fifo import FifoCache
from matching.history import History
from matching.ledger import Ledger
from matching.records import (
    EDUCATION_RANK,
    RECORD_CLASS,
    Jobseeker,
    Kind,
    Occupation,
    Vacancy,
    VacancyStatus,
    from_stored,
    kind_of,
    licence_closure,
    licence_mask,
)
from matching.schema import TABLES
from matching.sessions import Sessions
from matching.text_facts import CvFacts, cv_facts, remember_cv_facts
from matching.texts import record_text, text_hash
from matching.vectors import VectorStore, delete_vectors_of


def _occupation_columns(table: Table) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Resolved occupation URI and confidence; a record without a mapping has confidence 0."""
    return table.c.occupation_uri, func.coalesce(table.c.occupation_confidence, 0.0)


RECORD_CACHE = 20_000  # parsed records kept per kind (more costs garbage-collector time)
MARKET_CHUNK = 20_000  # rows per chunk of `market_frame`
MARKET_SCHEMA = {
    "postcode": pl.Utf8,
    "occupation_uri": pl.Utf8,
    "is_open": pl.Boolean,
    "months_unemployed": pl.Int64,
}


class Store:
    """Records of both kinds, with `vectors`, `ledger` and `changes` on the same database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        self.vectors = VectorStore(self.engine)
        self.ledger = Ledger(self.engine)
        self.changes = ChangeLog(self.engine)
        self.directory = Directory(self.engine)
        self.sessions = Sessions(self.engine)
        self.history = History(self.engine)
        self._records: dict[Kind, FifoCache[int, tuple[int, Any]]] = {
            k: FifoCache(RECORD_CACHE) for k in Kind
        }
        self._dialect = self.engine.dialect.name
        self._with_occupations = {k: _with_occupations_stmt(TABLES[k], self._dialect) for k in Kind}
        self._occupations = {k: _occupations_stmt(TABLES[k], self._dialect) for k in Kind}
        self._rowids_of = {k: _rowids_stmt(TABLES[k], self._dialect) for k in Kind}

    # ------------------------------------------------------------------ records
    def upsert(
        self,
        records: Sequence[Jobseeker | Vacancy],
        occupations: dict[str, Occupation] | None = None,
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
        now = utc_now()
        if len({r.id for r in records}) != len(records):
            raise ValueError("duplicate ids in one upsert")
        rows = [_row_of(r, now, occupations or {}) for r in records]
        with self.engine.begin() as conn:
            lock_for_writes(conn, kind)
            stored = self._stored(conn, kind, [r["id"] for r in rows])
            changed = [r for r in rows if r["id"] not in stored or stored[r["id"]][1] != r["data"]]
            if changed:
                rev = bump(conn, kind)
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
        for chunk in chunks(list(ids)):
            stmt = select(table.c.id, table.c.rowid, table.c.data).where(table.c.id.in_(chunk))
            for rid, rowid, data in conn.execute(stmt):
                out[rid] = (rowid, json.loads(data) if isinstance(data, str) else data)
        return out

    def delete(self, kind: Kind, record_id: str) -> bool:
        """Delete a record and its embeddings; True when it existed."""
        table = TABLES[kind]
        with self.engine.begin() as conn:
            lock_for_writes(conn, kind)
            rowid = conn.execute(select(table.c.rowid).where(table.c.id == record_id)).scalar()
            if rowid is None:
                return False
            delete_vectors_of(conn, kind, rowid)
            conn.execute(delete(table).where(table.c.rowid == rowid))
            record_deletion(conn, kind, rowid)
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

    def rowids(self, kind: Kind, record_ids: Sequence[str]) -> dict[str, int]:
        """Rowids of stored ids, one statement per READ_CHUNK ids (unknown ids are left out)."""
        with self.engine.connect() as conn:
            return self._rowids(conn, kind, record_ids)

    def by_ids(self, kind: Kind, record_ids: Sequence[str]) -> dict[str, Jobseeker | Vacancy]:
        """Records by id, many at once (unknown ids are left out)."""
        rowid_of = self.rowids(kind, record_ids)
        records = self.by_rowids(kind, list(rowid_of.values()))
        return {i: records[r] for i, r in rowid_of.items() if r in records}

    def by_rowids(self, kind: Kind, rowids: Sequence[int]) -> dict[int, Jobseeker | Vacancy]:
        """Records by rowid (missing rowids are left out)."""
        return self.with_occupations(kind, rowids)[0]

    def with_occupations(
        self, kind: Kind, rowids: Sequence[int]
    ) -> tuple[dict[int, Jobseeker | Vacancy], dict[int, Occupation]]:
        """Records by rowid and their resolved occupation (URI, confidence), one statement
        per READ_CHUNK rowids.

        Parsed records are cached by (rowid, row revision): a changed row has a new revision,
        so the cache can never serve a stale record. Occupations are read fresh every time.
        A jobseeker's CV facts, read at ingest, come along (`text_facts.remember_cv_facts`).
        """
        cache = self._records[kind]
        cls = RECORD_CLASS[kind]
        records: dict[int, Jobseeker | Vacancy] = {}
        occupations: dict[int, Occupation] = {}
        with self.engine.connect() as conn:
            for part in chunks(list(rowids), READ_CHUNK):
                ids = {"ids": ids_value(self._dialect, part)}
                rows = conn.execute(self._with_occupations[kind], ids).all()  # not one by one
                for rowid, rev, raw, uri, conf, years, cares in rows:
                    occupations[rowid] = Occupation(uri, conf)
                    hit = cache.get(rowid)
                    if hit is not None and hit[0] == rev:
                        records[rowid] = record = hit[1]
                    else:
                        records[rowid] = record = from_stored(cls, raw)
                        cache[rowid] = (rev, record)
                    if years is not None and isinstance(record, Jobseeker):
                        remember_cv_facts(record.cv_text, CvFacts(years, bool(cares)))
        return records, occupations

    def occupations(self, kind: Kind, rowids: Sequence[int]) -> dict[int, Occupation]:
        """Resolved occupation URI and its confidence per rowid."""
        with self.engine.connect() as conn:
            ids = {"ids": ids_value(self._dialect, rowids)}
            rows = conn.execute(self._occupations[kind], ids).all()
            return {rowid: Occupation(uri, conf) for rowid, uri, conf in rows}

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

    # ----------------------------------------------------------------- helpers
    def _rowids(self, conn: Any, kind: Kind, ids: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in chunks(list(ids), READ_CHUNK):
            rows = conn.execute(self._rowids_of[kind], {"ids": ids_value(self._dialect, part)})
            out.update(rows.tuples().all())
        return out

    def market_frame(self, kind: Kind) -> pl.DataFrame:
        """postcode, occupation_uri, is_open and months_unemployed of every record (no PII).

        Read in chunks: converting a million rows in one call held the interpreter lock for
        1.3 s, and a serving process's shortlists stood still meanwhile (the labour market is
        recomputed in the background while they are answered)."""
        t = TABLES[kind]
        stmt = select(t.c.postcode, t.c.occupation_uri, t.c.is_open, t.c.months_unemployed)
        frames = []
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=MARKET_CHUNK).execute(stmt)
            for rows in result.partitions():
                frames.append(pl.DataFrame(rows, orient="row", schema=MARKET_SCHEMA))
        return pl.concat(frames) if frames else pl.DataFrame(schema=MARKET_SCHEMA)

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
                for chunk in chunks([int(r) for r in rowids]):
                    rows += conn.execute(stmt.where(table.c.rowid.in_(chunk))).all()
        names = [c.name for c in cols]
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        return {n: np.asarray(v) for n, v in zip(names, columns, strict=True)}

    def set_occupations(self, kind: Kind, values: dict[str, Occupation]) -> None:
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


def _row_of(
    record: Jobseeker | Vacancy,
    now: dt.datetime,
    inferred: dict[str, Occupation],
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
        facts = cv_facts(record.cv_text)
        attrs |= {
            "experience_years": facts.experience_years,
            "cares_for_children": facts.cares_for_children,
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


def _with_occupations_stmt(table: Table, dialect: str) -> Select[Any]:
    """Rowid, revision, the JSON as text (parsed by pydantic only on a cache miss), the
    occupation and the CV facts of the rows whose rowid is in `:ids`."""
    return select(
        table.c.rowid,
        table.c.rev,
        type_coerce(table.c.data, Text),
        *_occupation_columns(table),
        table.c.experience_years,
        table.c.cares_for_children,
    ).where(in_ids(table.c.rowid, dialect))


def _occupations_stmt(table: Table, dialect: str) -> Select[Any]:
    """Rowid and resolved occupation of the rows whose rowid is in `:ids`."""
    return select(table.c.rowid, *_occupation_columns(table)).where(in_ids(table.c.rowid, dialect))


def _rowids_stmt(table: Table, dialect: str) -> Select[Any]:
    """Record id and rowid of the rows whose id is in `:ids`."""
    return select(table.c.id, table.c.rowid).where(in_ids(table.c.id, dialect, String))


def _load(kind: Kind, data: Any) -> Jobseeker | Vacancy:
    return from_stored(RECORD_CLASS[kind], data)
