"""Finding vacancies and the jobseekers of a caseload: paged, filtered, sorted lists."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from api.access import deny
from api.auth import ApiKey, Permission
from api.deps import MatcherDep, PurposeHeader, audit, requires
from api.schemas import JobseekerListPublic, VacancyListPublic
from matching.listing import JOBSEEKER_SORTS, VACANCY_SORTS, Page, list_caseload, list_vacancies
from matching.records import VacancyStatus

router = APIRouter(prefix="/v1")

SearchText = Annotated[
    str | None, Query(max_length=100, description="part of the title, employer or id")
]
Region = Annotated[str | None, Query(pattern=r"^AM\d\d$", description="arbeidsmarktregio")]
Occupation = Annotated[
    str | None, Query(max_length=200, description="ISCO group (1-4 digits) or ESCO URI")
]
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="page, from 1")]
PerPage = Annotated[int, Query(ge=1, le=100, description="rows per page")]
VacancySort = Annotated[
    Literal[VACANCY_SORTS], Query(description="field, `-` first for descending")
]
JobseekerSort = Annotated[
    Literal[JOBSEEKER_SORTS], Query(description="field, `-` first for descending")
]
Phase = Annotated[
    int | None,
    Query(ge=0, le=3, description="0: 0-3 months unemployed, 1: 3-6, 2: 6-12, 3: over 12"),
]


def _paged(page: Page) -> dict:
    return {
        "count": page.count,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "data": page.rows,
    }


@router.get("/vacancies", response_model=VacancyListPublic, tags=["accountmanager", "matchmaker"])
def search_vacancies(
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.VACANCIES_READ))],
    q: SearchText = None,
    region: Region = None,
    status: Annotated[VacancyStatus | None, Query()] = None,
    occupation: Occupation = None,
    sort: VacancySort = "-posted_date",
    page: PageNumber = 1,
    per_page: PerPage = 25,
) -> dict:
    """Vacancies by text, region, status and occupation; newest first unless sorted."""
    found = list_vacancies(
        matcher.store,
        q,
        region,
        status.value if status else None,
        occupation,
        sort,
        page,
        per_page,
    )
    return _paged(found)


@router.get("/jobseekers", response_model=JobseekerListPublic, tags=["werkcoach"])
def search_caseload(
    request: Request,
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.JOBSEEKERS_READ))],
    q: Annotated[str | None, Query(max_length=100, description="part of id or occupation")] = None,
    region: Region = None,
    occupation: Occupation = None,
    phase: Phase = None,
    sort: JobseekerSort = "id",
    page: PageNumber = 1,
    per_page: PerPage = 25,
    purpose: PurposeHeader = None,
) -> dict:
    """The jobseekers of your own and your team's caseload, without names (audit-logged)."""
    if key.user is None:
        deny(request, key, "your key belongs to no user, so to no caseload")
    found = list_caseload(
        matcher.store, key.user, q, region, occupation, phase, sort, page, per_page
    )
    audit(request, key, [r["id"] for r in found.rows], purpose or "caseload inzien")
    return _paged(found)
