"""Roles and what each may do; the caller behind a key (keys live in the store's ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from matching.directory import User
from matching.store import Store


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
    """An authenticated caller: key id (safe to log), role, and the named user behind it
    (None for a key made without one: it reaches no person's data through a scope)."""

    key_id: str
    role: Role
    user: User | None = None

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def regions(self) -> tuple[str, ...]:
        return self.user.regions if self.user else ()


def authenticate(store: Store, key: str) -> ApiKey | None:
    """The caller behind a presented key; None when unknown, malformed, revoked or expired."""
    owner = store.ledger.key_owner(key)
    if owner is None:
        return None
    return ApiKey(owner.key_id, Role(owner.role), store.directory.user(owner.user_id))
