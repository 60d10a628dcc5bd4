"""Need-to-know: which people and vacancies a caller may reach, beyond what their role may do.

- a werkcoach reads and edits only jobseekers in their own or their team's caseload;
- a matchmaker sees people only through a shortlist or fit check for a vacancy in one of their
  regions, and says why (`X-Purpose`);
- an account manager manages the vacancies of their regions, and checks fit there;
- an admin erases and audits; a data scientist sees no person at all.
Every refusal is a 403 with the reason, and is written to the audit log (allowed = false).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from api.auth import ApiKey, Role
from api.errors import http_error
from matching.geo import geography
from matching.records import Jobseeker, Kind, Vacancy

SCOPED = {Role.MATCHMAKER, Role.ACCOUNTMANAGER}


def _endpoint(request: Request) -> str:
    return f"{request.method} {getattr(request.scope.get('route'), 'path', '?')}"


def deny(request: Request, key: ApiKey, reason: str, jobseeker_ids: Sequence[str] = ()) -> None:
    """Audit a refusal, then raise the 403 that says why."""
    request.app.state.matcher.store.ledger.write_audit(
        key.key_id, key.role.value, _endpoint(request), list(jobseeker_ids), reason, allowed=False
    )
    raise http_error(403, "Authorization", reason)


def check_vacancy(request: Request, key: ApiKey, vacancy: Vacancy) -> None:
    """Matchmakers and account managers act on the vacancies of their own regions."""
    if key.role not in SCOPED:
        return
    region = geography().region_of(vacancy.postcode)
    if region not in key.regions:
        deny(request, key, f"vacancy {vacancy.id} is in {region}, not in your regions")


def check_purpose(request: Request, key: ApiKey, purpose: str | None) -> None:
    """A matchmaker or account manager says why they need a person's data."""
    if key.role in SCOPED and not (purpose and purpose.strip()):
        deny(request, key, "say why you need this person's data (header X-Purpose)")


def check_caseload(request: Request, key: ApiKey, jobseeker_ids: Sequence[str]) -> None:
    """A werkcoach reaches only their own or their team's caseload (others: no scope here)."""
    if key.role != Role.WERKCOACH:
        return
    served = set() if key.user is None else _served(request, key, jobseeker_ids)
    outside = [j for j in jobseeker_ids if j not in served]
    if outside:
        deny(request, key, "not in your caseload or your team's", outside)


def caseload_row_check(request: Request, key: ApiKey):
    """For bulk uploads: a reason to refuse a row whose person another caseload serves."""
    matcher = request.app.state.matcher

    def check(record: Jobseeker) -> str | None:
        exists = matcher.store.rowid(Kind.JOBSEEKERS, record.id) is not None
        if exists and not (key.user and _served(request, key, [record.id])):
            return "exists in another caseload"
        return None

    return check


def region_row_check(key: ApiKey):
    """For bulk uploads: a reason to refuse a vacancy outside the caller's regions."""

    def check(record: Vacancy) -> str | None:
        region = geography().region_of(record.postcode)
        return None if region in key.regions else f"in {region}, not in your regions"

    return check


def _served(request: Request, key: ApiKey, ids: Sequence[str]) -> set[str]:
    return request.app.state.matcher.store.directory.serves(key.user, ids)
