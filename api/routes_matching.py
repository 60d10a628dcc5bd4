"""Shortlists, vacancies for a jobseeker, fit checks, outcomes; labour market; admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StringConstraints

from api.access import check_caseload, check_purpose, check_vacancy
from api.auth import ApiKey, Permission
from api.deps import MatcherDep, PurposeHeader, audit, requires
from api.schemas import (
    AuditPublic,
    FitCheckPublic,
    KeyCreate,
    KeyCreated,
    LabourMarketPublic,
    LabourMarketRow,
    OutcomeCreate,
    OutcomePublic,
    ShortlistPublic,
    UserCreate,
)
from matching.directory import User
from matching.errors import InvalidInputError, NotFoundError
from matching.filters import Overrides
from matching.labour_market import market_table
from matching.records import Kind, Licence
from matching.service import Matcher

router = APIRouter(prefix="/v1")

RegionCode = Annotated[str, StringConstraints(pattern=r"^AM\d\d$")]
K = Annotated[int, Query(ge=1, le=200, description="number of results")]
MaxKm = Annotated[float | None, Query(ge=0, le=300, description="cap on travel distance")]
Licences = Annotated[list[Licence] | None, Query(description="replace the required licences")]
Regions = Annotated[list[RegionCode] | None, Query(description="only these regions, e.g. AM22")]
MinHours = Annotated[
    float | None,
    Query(ge=1, le=60, description="hours a candidate must offer (replaces the vacancy's minimum)"),
]
Explain = Annotated[bool, Query(description="include per-criterion explanations")]
Fair = Annotated[
    bool,
    Query(description="re-rank: 45+ and > 12 months unemployed keep their share of the eligible"),
]


def _overrides(max_distance_km, licences, regions, min_hours=None) -> Overrides:
    return Overrides(
        max_distance_km=max_distance_km,
        required_licences=tuple(licences) if licences is not None else None,
        regions=tuple(regions) if regions else None,
        min_hours=min_hours,
    )


def _strip(result: ShortlistPublic, explain: bool) -> ShortlistPublic:
    if not explain:
        for item in result.data:
            item.criteria = []
    return result


@router.get(
    "/vacancies/{vacancy_id}/shortlist", response_model=ShortlistPublic, tags=["matchmaker"]
)
def shortlist(
    vacancy_id: str,
    request: Request,
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.SHORTLIST))],
    k: K = 20,
    max_distance_km: MaxKm = None,
    licences: Licences = None,
    regions: Regions = None,
    min_hours: MinHours = None,
    explain: Explain = True,
    fair: Fair = False,
    purpose: PurposeHeader = None,
) -> ShortlistPublic:
    """The best jobseekers for a vacancy of your regions after the hard filters, with reasons
    per criterion; say why in `X-Purpose`."""
    check_vacancy(request, key, matcher.get(Kind.VACANCIES, vacancy_id))
    check_purpose(request, key, purpose)
    result = matcher.shortlist(
        vacancy_id,
        k=k,
        overrides=_overrides(max_distance_km, licences, regions, min_hours),
        fair=fair,
    )
    audit(request, key, [m.id for m in result.items], purpose or f"shortlist {vacancy_id}")
    return _strip(ShortlistPublic.of(result), explain)


@router.get(
    "/jobseekers/{jobseeker_id}/vacancies", response_model=ShortlistPublic, tags=["werkcoach"]
)
def vacancies_for(
    jobseeker_id: str,
    request: Request,
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.JOBSEEKER_VACANCIES))],
    k: K = 20,
    max_distance_km: MaxKm = None,
    regions: Regions = None,
    explain: Explain = True,
    purpose: PurposeHeader = None,
) -> ShortlistPublic:
    """The best open vacancies for a jobseeker of your (team's) caseload (werkcoach view)."""
    matcher.get(Kind.JOBSEEKERS, jobseeker_id)
    check_caseload(request, key, [jobseeker_id])
    result = matcher.vacancies_for(
        jobseeker_id, k=k, overrides=_overrides(max_distance_km, None, regions)
    )
    audit(request, key, [jobseeker_id], purpose or "vacatures voor werkzoekende")
    return _strip(ShortlistPublic.of(result), explain)


@router.get(
    "/vacancies/{vacancy_id}/fit/{jobseeker_id}",
    response_model=FitCheckPublic,
    tags=["accountmanager", "matchmaker"],
)
def fit_check(
    vacancy_id: str,
    jobseeker_id: str,
    request: Request,
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.FIT_CHECK))],
    purpose: PurposeHeader = None,
) -> FitCheckPublic:
    """Check one jobseeker against a vacancy of your regions before contacting the employer;
    say why in `X-Purpose`."""
    check_vacancy(request, key, matcher.get(Kind.VACANCIES, vacancy_id))
    check_purpose(request, key, purpose)
    result = matcher.fit_check(vacancy_id, jobseeker_id)
    audit(request, key, [jobseeker_id], purpose or f"fit check {vacancy_id}")
    return FitCheckPublic.of(result)


@router.post("/outcomes", status_code=201, response_model=OutcomePublic, tags=["matchmaker"])
def add_outcome(
    body: OutcomeCreate,
    request: Request,
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.OUTCOMES))],
) -> OutcomePublic:
    """Record what happened to a proposed candidate for a vacancy of your regions (invited,
    placed, rejected + reason)."""
    return record_outcome(request, matcher, key, body, "api")


def record_outcome(
    request: Request, matcher: Matcher, key: ApiKey, body: OutcomeCreate, channel: str
) -> OutcomePublic:
    """Store an outcome for a vacancy of the caller's regions; the API and the workspace's
    buttons both come here (`channel` "api" or "web" goes into the source with the key id)."""
    vacancy = matcher.store.get(Kind.VACANCIES, body.vacancy_id)
    if vacancy is not None:
        check_vacancy(request, key, vacancy)
    matcher.record_outcome(
        body.vacancy_id, body.jobseeker_id, body.outcome, body.reason, f"{channel}:{key.key_id}"
    )
    return OutcomePublic(**body.model_dump())


@router.get("/labour-market", response_model=LabourMarketPublic, tags=["datascientist"])
def labour_market(
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.LABOUR_MARKET))],
    region: Annotated[RegionCode | None, Query()] = None,
    occupation: Annotated[
        str | None,
        Query(max_length=200, description="ISCO group (1-4 digits) or ESCO occupation URI"),
    ] = None,
) -> LabourMarketPublic:
    """Tension per occupation group and arbeidsmarktregio, with counts (no personal data)."""
    table = market_table(matcher.market(), region, occupation)
    rows = [LabourMarketRow(tension_class=r.pop("class"), **r) for r in table.to_dicts()]
    return LabourMarketPublic(count=len(rows), data=rows)


@router.get("/audit", response_model=AuditPublic, tags=["admin"])
def read_audit(
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.AUDIT))],
    jobseeker_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> AuditPublic:
    """Who received which jobseekers' data, when, where and why (newest first)."""
    rows = matcher.store.ledger.audit_rows(limit=limit, jobseeker_id=jobseeker_id)
    return AuditPublic(count=len(rows), data=rows)


@router.get("/erasures", tags=["admin"])
def read_erasures(
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.AUDIT))],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict:
    """Erasure receipts, newest first: who erased, when, and what was removed (no one's id)."""
    data = matcher.store.ledger.erasures(limit)
    return {"count": len(data), "data": data}


@router.post("/keys", status_code=201, response_model=KeyCreated, tags=["admin"])
def new_key(
    body: KeyCreate, matcher: MatcherDep, key: Annotated[ApiKey, Depends(requires(Permission.KEYS))]
) -> KeyCreated:
    """A key for a named user, with the user's role; shown once, valid for `days`."""
    user = matcher.store.directory.user(body.user_id)
    if user is None:
        raise NotFoundError(f"user {body.user_id!r} not found", "user_id")
    if user.role != body.role.value:
        raise InvalidInputError(f"user {user.user_id!r} is a {user.role}", "role")
    made = matcher.store.ledger.create_key(user.role, body.label, user.user_id, body.days)
    return KeyCreated(key_id=made.key_id, role=body.role, key=made.key)


@router.post("/keys/{key_id}/rotate", status_code=201, response_model=KeyCreated, tags=["admin"])
def rotate(
    key_id: str, matcher: MatcherDep, key: Annotated[ApiKey, Depends(requires(Permission.KEYS))]
) -> KeyCreated:
    """A new key for the same user; the old one stops working at once."""
    made = matcher.store.ledger.rotate_key(key_id)
    if made is None:
        raise NotFoundError(f"no active key {key_id!r}", "key_id")
    owner = matcher.store.ledger.key_owner(made.key)
    return KeyCreated(key_id=made.key_id, role=owner.role, key=made.key)


@router.post("/users", status_code=201, tags=["admin"])
def new_user(
    body: UserCreate,
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.KEYS))],
) -> dict:
    """Create or replace a named user (role, team, regions)."""
    user = User(body.user_id, body.name, body.role.value, body.team, tuple(body.regions))
    matcher.store.directory.put_user(user)
    return {**body.model_dump(), "role": body.role.value}


@router.get("/users", tags=["admin"])
def list_users(
    matcher: MatcherDep, key: Annotated[ApiKey, Depends(requires(Permission.KEYS))]
) -> dict:
    data = matcher.store.directory.users()
    return {"count": len(data), "data": data}


@router.get("/keys", tags=["admin"])
def keys(matcher: MatcherDep, key: Annotated[ApiKey, Depends(requires(Permission.KEYS))]) -> dict:
    data = matcher.store.ledger.list_keys()
    return {"count": len(data), "data": data}


@router.delete("/keys/{key_id}", status_code=204, tags=["admin"])
def revoke(
    key_id: str, matcher: MatcherDep, key: Annotated[ApiKey, Depends(requires(Permission.KEYS))]
) -> None:
    if not matcher.store.ledger.revoke_key(key_id):
        raise NotFoundError(f"{key_id!r} not found", "key_id")
