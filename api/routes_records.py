"""Jobseekers and vacancies: create, read, replace, delete and bulk upload."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.access import (
    caseload_row_check,
    check_caseload,
    check_vacancy,
    deny,
    region_row_check,
)
from api.auth import ApiKey, Permission
from api.deps import MatcherDep, PurposeHeader, audit, requires
from api.errors import http_error
from api.schemas import IngestReportPublic
from matching.ingest import FORMATS, IngestFileError, IngestReport, RowCheck
from matching.records import Jobseeker, Kind, Vacancy
from matching.service import Matcher

MAX_BULK_BYTES = 50 * 1024 * 1024
CONTENT_TYPES = {
    "text/csv": ".csv",
    "application/x-ndjson": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/vnd.apache.parquet": ".parquet",
    "application/octet-stream": ".parquet",
}

router = APIRouter(prefix="/v1")

Werkcoach = Annotated[ApiKey, Depends(requires(Permission.JOBSEEKERS_WRITE))]
JobseekerReader = Annotated[ApiKey, Depends(requires(Permission.JOBSEEKERS_READ))]
VacancyWriter = Annotated[ApiKey, Depends(requires(Permission.VACANCIES_WRITE))]
VacancyReader = Annotated[ApiKey, Depends(requires(Permission.VACANCIES_READ))]
Eraser = Annotated[ApiKey, Depends(requires(Permission.ERASE))]


async def _bulk(
    request: Request, matcher: Matcher, kind: Kind, fmt: str | None, accept: RowCheck
) -> IngestReport:
    suffix = (
        f".{fmt}"
        if fmt
        else CONTENT_TYPES.get(request.headers.get("content-type", "").split(";")[0].strip())
    )
    if suffix not in FORMATS:
        raise http_error(
            415,
            "Content-Type",
            "send text/csv, application/x-ndjson or "
            "application/vnd.apache.parquet (or ?format=csv|jsonl|parquet)",
        )
    body = await request.body()
    if len(body) > MAX_BULK_BYTES:
        raise http_error(413, "body", f"larger than {MAX_BULK_BYTES // 2**20} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(body)
        try:
            return await run_in_threadpool(matcher.ingest, kind, path, False, accept)
        except IngestFileError as exc:
            raise http_error(422, "body", str(exc)) from exc


def _report(r: IngestReport) -> IngestReportPublic:
    return IngestReportPublic(
        kind=r.kind,
        rows=r.rows,
        stored=r.stored,
        bad_rows=r.bad_rows,
        errors=[vars(e) for e in r.errors],
    )


BulkFormat = Annotated[
    str | None,
    Query(pattern="^(csv|jsonl|parquet)$", alias="format", description="overrides Content-Type"),
]


# ------------------------------------------------------------------ jobseekers
@router.post("/jobseekers", status_code=201, response_model=Jobseeker, tags=["werkcoach"])
def create_jobseeker(
    body: Jobseeker, request: Request, matcher: MatcherDep, key: Werkcoach
) -> Jobseeker:
    """Register a jobseeker (werkzoekende); they join your caseload."""
    if key.user is None:
        deny(request, key, "your key belongs to no user, so to no caseload")
    matcher.create(body)
    matcher.store.directory.assign([body.id], key.user)
    return body


@router.get("/jobseekers/{jobseeker_id}", response_model=Jobseeker, tags=["werkcoach"])
def read_jobseeker(
    jobseeker_id: str,
    request: Request,
    matcher: MatcherDep,
    key: JobseekerReader,
    purpose: PurposeHeader = None,
) -> Jobseeker:
    """A jobseeker's profile, from your (team's) caseload (audit-logged)."""
    js = matcher.get(Kind.JOBSEEKERS, jobseeker_id)
    check_caseload(request, key, [js.id])
    audit(request, key, [js.id], purpose or "profiel inzien")
    return js


@router.put("/jobseekers/{jobseeker_id}", response_model=Jobseeker, tags=["werkcoach"])
def replace_jobseeker(
    jobseeker_id: str, body: Jobseeker, request: Request, matcher: MatcherDep, key: Werkcoach
) -> Jobseeker:
    """Replace the profile of a jobseeker in your (team's) caseload."""
    if body.id == jobseeker_id:  # else the replace refuses it (422) before anything is read
        matcher.get(Kind.JOBSEEKERS, jobseeker_id)
        check_caseload(request, key, [jobseeker_id])
    matcher.replace(jobseeker_id, body)
    return body


@router.delete("/jobseekers/{jobseeker_id}", status_code=204, tags=["admin"])
def erase_jobseeker(jobseeker_id: str, matcher: MatcherDep, key: Eraser) -> Response:
    """Erase a jobseeker (AVG art. 17): record, vectors, outcomes and the link from the audit
    log, in one transaction, and every saved index, before the answer. The erasure receipt
    (`GET /v1/erasures`) says who erased when and how much went, never whom."""
    matcher.erase_jobseeker(jobseeker_id, erased_by=key.key_id, role=key.role.value)
    return Response(status_code=204)


@router.post(
    "/jobseekers/bulk",
    response_model=IngestReportPublic,
    tags=["werkcoach"],
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
async def bulk_jobseekers(
    request: Request, matcher: MatcherDep, key: Werkcoach, fmt: BulkFormat = None
) -> IngestReportPublic:
    """Upload many jobseekers (CSV, JSONL or Parquet body); bad rows are reported by number,
    and so are people of another caseload. Those stored join your caseload."""
    if key.user is None:
        deny(request, key, "your key belongs to no user, so to no caseload")
    report = await _bulk(request, matcher, Kind.JOBSEEKERS, fmt, caseload_row_check(request, key))
    matcher.store.directory.assign(report.stored_ids, key.user)
    return _report(report)


# ------------------------------------------------------------------- vacancies
@router.post("/vacancies", status_code=201, response_model=Vacancy, tags=["accountmanager"])
def create_vacancy(
    body: Vacancy, request: Request, matcher: MatcherDep, key: VacancyWriter
) -> Vacancy:
    """Register a vacancy (vacature) in one of your regions."""
    check_vacancy(request, key, body)
    matcher.create(body)
    return body


@router.get("/vacancies/{vacancy_id}", response_model=Vacancy, tags=["accountmanager"])
def read_vacancy(vacancy_id: str, matcher: MatcherDep, key: VacancyReader) -> Vacancy:
    return matcher.get(Kind.VACANCIES, vacancy_id)


@router.put("/vacancies/{vacancy_id}", response_model=Vacancy, tags=["accountmanager"])
def replace_vacancy(
    vacancy_id: str, body: Vacancy, request: Request, matcher: MatcherDep, key: VacancyWriter
) -> Vacancy:
    """Replace a vacancy of your regions (and keep it there)."""
    if body.id == vacancy_id:  # else the replace refuses it (422) before anything is read
        check_vacancy(request, key, matcher.get(Kind.VACANCIES, vacancy_id))
        check_vacancy(request, key, body)
    matcher.replace(vacancy_id, body)
    return body


@router.delete("/vacancies/{vacancy_id}", status_code=204, tags=["accountmanager"])
def delete_vacancy(
    vacancy_id: str, request: Request, matcher: MatcherDep, key: VacancyWriter
) -> Response:
    """Delete a vacancy of your regions."""
    check_vacancy(request, key, matcher.get(Kind.VACANCIES, vacancy_id))
    matcher.delete(Kind.VACANCIES, vacancy_id)
    return Response(status_code=204)


@router.post(
    "/vacancies/bulk",
    response_model=IngestReportPublic,
    tags=["accountmanager"],
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
async def bulk_vacancies(
    request: Request, matcher: MatcherDep, key: VacancyWriter, fmt: BulkFormat = None
) -> IngestReportPublic:
    """Upload many vacancies (CSV, JSONL or Parquet body); bad rows are reported by number,
    and so are vacancies outside your regions."""
    return _report(await _bulk(request, matcher, Kind.VACANCIES, fmt, region_row_check(key)))
