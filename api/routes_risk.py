"""Risk of long-term unemployment, the service segment and its override; indicators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from api.access import check_caseload
from api.auth import ApiKey, Permission
from api.deps import MatcherDep, PurposeHeader, audit, requires
from api.routes_matching import RegionCode
from api.schemas_risk import IndicatorsPublic, RiskPublic, SegmentOverride
from eval.indicator_report import segments_of
from matching.indicators import indicators
from matching.records import Kind

router = APIRouter(prefix="/v1")

JobseekerReader = Annotated[ApiKey, Depends(requires(Permission.JOBSEEKERS_READ))]
Werkcoach = Annotated[ApiKey, Depends(requires(Permission.JOBSEEKERS_WRITE))]
Period = Annotated[
    str | None, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$", description="YYYY or YYYY-MM")
]


@router.get("/jobseekers/{jobseeker_id}/risk", response_model=RiskPublic, tags=["werkcoach"])
def read_risk(
    jobseeker_id: str,
    request: Request,
    matcher: MatcherDep,
    key: JobseekerReader,
    purpose: PurposeHeader = None,
) -> RiskPublic:
    """Risk of still being unemployed in 12 months, explained per feature in Dutch, the
    service segment (a werkcoach's override counts) and the phase of unemployment; for a
    jobseeker of your (team's) caseload (audit-logged)."""
    matcher.get(Kind.JOBSEEKERS, jobseeker_id)
    check_caseload(request, key, [jobseeker_id])
    (assessment,) = matcher.risk.assess([jobseeker_id])
    audit(request, key, [jobseeker_id], purpose or "risico en segment inzien")
    return RiskPublic.of(assessment)


@router.put("/jobseekers/{jobseeker_id}/segment", response_model=RiskPublic, tags=["werkcoach"])
def override_segment(
    jobseeker_id: str,
    body: SegmentOverride,
    request: Request,
    matcher: MatcherDep,
    key: Werkcoach,
) -> RiskPublic:
    """Set the service segment of a jobseeker of your (team's) caseload, with the reason
    (human oversight: kept with who and when, audit-logged, shown in later reads)."""
    matcher.get(Kind.JOBSEEKERS, jobseeker_id)
    check_caseload(request, key, [jobseeker_id])
    user = key.user.user_id if key.user else None
    matcher.risk.override(jobseeker_id, body.segment, body.reason, user, key.key_id)
    audit(request, key, [jobseeker_id], f"segment {body.segment.value}: {body.reason}"[:200])
    (assessment,) = matcher.risk.assess([jobseeker_id])
    return RiskPublic.of(assessment)


@router.get("/indicators", response_model=IndicatorsPublic, tags=["datascientist"])
async def read_indicators(
    matcher: MatcherDep,
    key: Annotated[ApiKey, Depends(requires(Permission.LABOUR_MARKET))],
    region: Annotated[RegionCode | None, Query()] = None,
    period: Period = None,
) -> IndicatorsPublic:
    """The Werkplein's indicators: exits to work per month, region and segment, median time
    to fill a vacancy, share of vacancies with at least 5 suitable candidates, exits of
    target groups. Aggregates only; small cells suppressed."""
    k = matcher.settings.indicator_min_cell

    def compute() -> dict:
        return indicators(matcher.store, segments_of(matcher, matcher.store), k, region, period)

    tables = await run_in_threadpool(compute)
    data = {name: t.to_dicts() for name, t in tables.items()}
    return IndicatorsPublic(region=region, period=period, min_cell=k, **data)
