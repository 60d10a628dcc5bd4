"""The ledger: outcomes (the ranker's training data), the audit log and API keys.

Append-mostly tables beside the records. API keys are stored as SHA-256 hashes of their
secret; the full key is returned once, when it is made, and never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from matching.database import utc_now
from matching.outcomes import OutcomeKind
from matching.schema import api_keys, audit, audit_subjects, erasures, outcomes

KEY_PREFIX = "wm_"
KEY_DAYS = 90.0  # a key expires after this many days unless made for fewer; rotate before


@dataclass(frozen=True)
class NewKey:
    """A key just made: its id (safe to log and show) and the full key (shown once)."""

    key_id: str
    key: str


@dataclass(frozen=True)
class KeyOwner:
    """The holder of a valid key: key id (safe to log), role, and named user."""

    key_id: str
    role: str
    user_id: str | None


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for stored UTC ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Ledger:
    """Outcomes, audit entries and API keys in the store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---------------------------------------------------------------- outcomes
    def add_outcomes(self, items: Iterable[dict[str, Any]]) -> int:
        """Store outcome rows (vacancy_id, jobseeker_id, outcome, reason, source)."""
        now = utc_now()
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

    def outcome_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(outcomes).order_by(outcomes.c.id))
            ]

    # ------------------------------------------------------------------- audit
    def write_audit(
        self,
        key_id: str,
        role: str,
        endpoint: str,
        jobseeker_ids: Sequence[str],
        purpose: str | None = None,
        allowed: bool = True,
    ) -> None:
        """Record that a caller received personal data of these jobseekers (or, with
        `allowed` false, was refused it)."""
        ids = list(jobseeker_ids)
        with self.engine.begin() as conn:
            entry = conn.execute(
                insert(audit).values(
                    at=utc_now(),
                    key_id=key_id,
                    role=role,
                    endpoint=endpoint,
                    purpose=purpose,
                    jobseeker_ids=ids,
                    allowed=allowed,
                )
            ).inserted_primary_key[0]
            subjects = [{"audit_id": entry, "jobseeker_id": j} for j in dict.fromkeys(ids)]
            if subjects:
                conn.execute(insert(audit_subjects), subjects)

    def audit_rows(self, limit: int = 100, jobseeker_id: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` audit entries, optionally only those naming one jobseeker (an
        indexed look-up through `audit_subjects`)."""
        stmt = select(audit).order_by(audit.c.id.desc()).limit(limit)
        if jobseeker_id is not None:
            named = select(audit_subjects.c.audit_id).where(
                audit_subjects.c.jobseeker_id == jobseeker_id
            )
            stmt = stmt.where(audit.c.id.in_(named))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def erasures(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest erasure receipts (who, when, how much; never whom)."""
        stmt = select(erasures).order_by(erasures.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    # -------------------------------------------------------------------- keys
    def create_key(
        self,
        role: str,
        label: str | None = None,
        user_id: str | None = None,
        days: float = KEY_DAYS,
    ) -> NewKey:
        """Make a key for a role (and the named user it belongs to), valid for `days`; the
        full key is in the answer only."""
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        now = utc_now()
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_keys).values(
                    key_id=key_id,
                    key_hash=_digest(secret),
                    role=role,
                    label=label,
                    created_at=now,
                    user_id=user_id,
                    expires_at=now + dt.timedelta(days=days),
                )
            )
        return NewKey(key_id, f"{KEY_PREFIX}{key_id}.{secret}")

    def key_owner(self, key: str) -> KeyOwner | None:
        """Who holds a presented key; None when unknown, malformed, revoked or expired."""
        if not key.startswith(KEY_PREFIX) or "." not in key:
            return None
        key_id, _, secret = key[len(KEY_PREFIX) :].partition(".")
        cols = (api_keys.c.key_hash, api_keys.c.role, api_keys.c.revoked_at)
        cols += (api_keys.c.user_id, api_keys.c.expires_at)
        with self.engine.connect() as conn:
            row = conn.execute(select(*cols).where(api_keys.c.key_id == key_id)).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and _aware(row.expires_at) <= utc_now():
            return None
        if not hmac.compare_digest(row.key_hash, _digest(secret)):
            return None
        return KeyOwner(key_id, row.role, row.user_id)

    def rotate_key(self, key_id: str, days: float = KEY_DAYS) -> NewKey | None:
        """A new key for the same user, role and label; the old one is revoked at once."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys).where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            ).first()
        if row is None:
            return None
        made = self.create_key(row.role, row.label, row.user_id, days)
        self.revoke_key(key_id)
        return made

    def revoke_key(self, key_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        return result.rowcount > 0

    def list_keys(self) -> list[dict[str, Any]]:
        cols = (
            api_keys.c.key_id,
            api_keys.c.role,
            api_keys.c.label,
            api_keys.c.user_id,
            api_keys.c.created_at,
            api_keys.c.expires_at,
            api_keys.c.revoked_at,
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(*cols))]


def erase_from_ledger(conn: Any, jobseeker_id: str, alias: str) -> tuple[int, int]:
    """Inside the caller's transaction: delete the person's outcomes and replace their id in
    the audit log by `alias` (the entries stay: who saw data, when and why); returns
    (outcomes deleted, audit entries rewritten)."""
    gone = conn.execute(delete(outcomes).where(outcomes.c.jobseeker_id == jobseeker_id)).rowcount
    named = conn.execute(
        select(audit.c.id, audit.c.jobseeker_ids).where(
            audit.c.id.in_(
                select(audit_subjects.c.audit_id).where(
                    audit_subjects.c.jobseeker_id == jobseeker_id
                )
            )
        )
    ).all()
    for entry, ids in named:
        renamed = [alias if j == jobseeker_id else j for j in ids]
        conn.execute(update(audit).where(audit.c.id == entry).values(jobseeker_ids=renamed))
    conn.execute(
        update(audit_subjects)
        .where(audit_subjects.c.jobseeker_id == jobseeker_id)
        .values(jobseeker_id=alias)
    )
    return gone, len(named)


def add_erasure_receipt(conn: Any, erased_by: str, role: str, kind: str) -> int:
    """A receipt row inside the caller's transaction; its counts follow with `close_receipt`."""
    return conn.execute(
        insert(erasures).values(at=utc_now(), erased_by=erased_by, role=role, kind=kind, removed={})
    ).inserted_primary_key[0]


def close_receipt(conn: Any, receipt: int, removed: dict[str, int]) -> None:
    conn.execute(update(erasures).where(erasures.c.id == receipt).values(removed=removed))
