"""The ledger: outcomes (the ranker's training data), the audit log and API keys.

Append-mostly tables beside the records. API keys are stored as SHA-256 hashes of their
secret; the full key is returned once, when it is made, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from matching.database import utc_now
from matching.outcomes import OutcomeKind
from matching.schema import api_keys, audit, outcomes

KEY_PREFIX = "wm_"


@dataclass(frozen=True)
class NewKey:
    """A key just made: its id (safe to log and show) and the full key (shown once)."""

    key_id: str
    key: str


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

    # ------------------------------------------------------------------- audit
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
                    at=utc_now(),
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

    # -------------------------------------------------------------------- keys
    def create_key(self, role: str, label: str | None = None) -> NewKey:
        """Make a key for a role; the full key is in the answer only."""
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_keys).values(
                    key_id=key_id,
                    key_hash=_digest(secret),
                    role=role,
                    label=label,
                    created_at=utc_now(),
                )
            )
        return NewKey(key_id, f"{KEY_PREFIX}{key_id}.{secret}")

    def key_role(self, key: str) -> tuple[str, str] | None:
        """(key id, role) behind a presented key; None when unknown, malformed or revoked."""
        if not key.startswith(KEY_PREFIX) or "." not in key:
            return None
        key_id, _, secret = key[len(KEY_PREFIX) :].partition(".")
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys.c.key_hash, api_keys.c.role, api_keys.c.revoked_at).where(
                    api_keys.c.key_id == key_id
                )
            ).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.key_hash, _digest(secret)):
            return None
        return key_id, row.role

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
            api_keys.c.created_at,
            api_keys.c.revoked_at,
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(*cols))]
