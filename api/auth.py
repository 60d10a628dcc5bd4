"""API keys (stored as SHA-256 hashes) mapped to roles, and what each role may do."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import insert, select, update

from matching.store import Store, api_keys

KEY_PREFIX = "wm_"


class Role(StrEnum):
    MATCHMAKER = "matchmaker"
    ACCOUNTMANAGER = "accountmanager"
    WERKCOACH = "werkcoach"
    DATASCIENTIST = "datascientist"
    ADMIN = "admin"


class Permission(StrEnum):
    SHORTLIST = "shortlist"  # jobseekers for a vacancy
    FIT_CHECK = "fit_check"
    OUTCOMES = "outcomes"
    VACANCIES_READ = "vacancies_read"
    VACANCIES_WRITE = "vacancies_write"
    JOBSEEKERS_READ = "jobseekers_read"
    JOBSEEKERS_WRITE = "jobseekers_write"
    JOBSEEKER_VACANCIES = "jobseeker_vacancies"  # vacancies for a jobseeker
    LABOUR_MARKET = "labour_market"
    MODEL = "model"
    ERASE = "erase"
    AUDIT = "audit"
    KEYS = "keys"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MATCHMAKER: frozenset({P.SHORTLIST, P.FIT_CHECK, P.OUTCOMES, P.VACANCIES_READ}),
    Role.ACCOUNTMANAGER: frozenset({P.VACANCIES_READ, P.VACANCIES_WRITE, P.FIT_CHECK}),
    Role.WERKCOACH: frozenset({P.JOBSEEKERS_READ, P.JOBSEEKERS_WRITE, P.JOBSEEKER_VACANCIES}),
    Role.DATASCIENTIST: frozenset({P.LABOUR_MARKET, P.MODEL}),
    Role.ADMIN: frozenset({P.ERASE, P.AUDIT, P.KEYS, P.MODEL, P.LABOUR_MARKET}),
}


@dataclass(frozen=True)
class ApiKey:
    """An authenticated caller: key id (safe to log) and role."""

    key_id: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(store: Store, role: Role | str, label: str | None = None) -> str:
    """Create a key for a role; returns the full key, which is shown once and never stored."""
    role = Role(role)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with store.engine.begin() as conn:
        conn.execute(
            insert(api_keys).values(
                key_id=key_id,
                key_hash=_digest(secret),
                role=role.value,
                label=label,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    return f"{KEY_PREFIX}{key_id}.{secret}"


def verify_key(store: Store, key: str) -> ApiKey | None:
    """The caller behind a presented key, or None when unknown, malformed or revoked."""
    if not key.startswith(KEY_PREFIX) or "." not in key:
        return None
    key_id, _, secret = key[len(KEY_PREFIX) :].partition(".")
    with store.engine.connect() as conn:
        row = conn.execute(
            select(api_keys.c.key_hash, api_keys.c.role, api_keys.c.revoked_at).where(
                api_keys.c.key_id == key_id
            )
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, _digest(secret)):
        return None
    return ApiKey(key_id, Role(row.role))


def revoke_key(store: Store, key_id: str) -> bool:
    with store.engine.begin() as conn:
        result = conn.execute(
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    return result.rowcount > 0


def list_keys(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(
                api_keys.c.key_id,
                api_keys.c.role,
                api_keys.c.label,
                api_keys.c.created_at,
                api_keys.c.revoked_at,
            )
        )
        return [dict(r._mapping) for r in rows]
