"""Roles and what each may do; the caller behind a key (keys live in the store's ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
    """An authenticated caller: key id (safe to log) and role."""

    key_id: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def authenticate(store: Store, key: str) -> ApiKey | None:
    """The caller behind a presented key, or None when unknown, malformed or revoked."""
    found = store.ledger.key_role(key)
    return None if found is None else ApiKey(found[0], Role(found[1]))
