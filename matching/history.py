"""Unemployment histories and segment overrides in the store's database.

A history is a list of events per jobseeker: `intake` (the spell starts, phase 0), `phase`
(the spell enters phase 1, 2 or 3: 3, 6 and 12 months) and `exit_work` (the person starts
working, with the vacancy when it was one of ours). The demo world writes whole histories
(`demo.load`); a placement recorded through the API adds an exit to work. A werkcoach's
override of the service segment is kept with who, when and why; the latest one counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import Engine, delete, func, insert, select

from matching.database import chunks, utc_now
from matching.schema import segment_overrides, unemployment_events

EVENTS = ("intake", "phase", "exit_work")


class Segment(StrEnum):
    """Service segments, from the most self-reliant to the most support."""

    DIGITAAL = "digitaal"
    GROEPSGEWIJS = "groepsgewijs"
    INTENSIEF = "intensief"


@dataclass(frozen=True)
class Override:
    """A werkcoach's choice of segment, and why."""

    segment: Segment
    reason: str
    user_id: str | None
    key_id: str
    at: dt.datetime


class History:
    """Events of unemployment spells and segment overrides, per jobseeker."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_events(self, rows: Iterable[dict[str, Any]], replace_source: str | None = None) -> int:
        """Store events (jobseeker_id, event, on, phase, vacancy_id, source); with
        `replace_source`, the events of that source go first (a demo loaded again)."""
        items = [{"phase": None, "vacancy_id": None, **r} for r in rows]
        if any(r["event"] not in EVENTS for r in items):
            raise ValueError(f"events are one of {EVENTS}")
        with self.engine.begin() as conn:
            if replace_source is not None:
                t = unemployment_events
                conn.execute(delete(t).where(t.c.source == replace_source))
            for part in chunks(items, 5000):
                conn.execute(insert(unemployment_events), part)
        return len(items)

    def add_exit(self, jobseeker_id: str, vacancy_id: str | None, on: dt.date, source: str) -> None:
        """The person started working (a placement recorded through the API, say)."""
        row = {"jobseeker_id": jobseeker_id, "event": "exit_work", "on": on}
        self.add_events([row | {"vacancy_id": vacancy_id, "source": source}])

    def events_of(self, jobseeker_id: str) -> list[dict[str, Any]]:
        t = unemployment_events
        stmt = select(t.c.event, t.c.on, t.c.phase, t.c.vacancy_id, t.c.source)
        stmt = stmt.where(t.c.jobseeker_id == jobseeker_id).order_by(t.c.on, t.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def frame(self) -> pl.DataFrame:
        """Every event (no personal data but the ids), for training and indicators."""
        t = unemployment_events
        cols = (t.c.jobseeker_id, t.c.event, t.c.on, t.c.phase, t.c.vacancy_id, t.c.source)
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(t.c.id)).all()
        schema = {"jobseeker_id": pl.Utf8, "event": pl.Utf8, "on": pl.Date, "phase": pl.Int64}
        schema |= {"vacancy_id": pl.Utf8, "source": pl.Utf8}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(unemployment_events)).scalar_one()

    # --------------------------------------------------------------- overrides
    def set_override(
        self, jobseeker_id: str, segment: Segment, reason: str, user_id: str | None, key_id: str
    ) -> Override:
        at = utc_now()
        row = {"jobseeker_id": jobseeker_id, "segment": Segment(segment).value, "reason": reason}
        with self.engine.begin() as conn:
            conn.execute(
                insert(segment_overrides).values(user_id=user_id, key_id=key_id, at=at, **row)
            )
        return Override(Segment(segment), reason, user_id, key_id, at)

    def overrides_of(self, jobseeker_ids: Sequence[str]) -> dict[str, Override]:
        """The latest override of each of these jobseekers that has one."""
        t, out = segment_overrides, {}
        with self.engine.connect() as conn:
            for part in chunks(list(dict.fromkeys(jobseeker_ids))):
                stmt = select(t).where(t.c.jobseeker_id.in_(part)).order_by(t.c.id)
                for r in conn.execute(stmt):
                    out[r.jobseeker_id] = Override(
                        Segment(r.segment), r.reason, r.user_id, r.key_id, r.at
                    )
        return out


def erase_history(conn: Any, jobseeker_id: str) -> int:
    """Inside the caller's transaction (erasure): the person's events and overrides."""
    gone = conn.execute(
        delete(unemployment_events).where(unemployment_events.c.jobseeker_id == jobseeker_id)
    ).rowcount
    gone += conn.execute(
        delete(segment_overrides).where(segment_overrides.c.jobseeker_id == jobseeker_id)
    ).rowcount
    return gone
