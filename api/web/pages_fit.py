"""The fit check: one vacancy and one jobseeker side by side, and the printable summary for
the employer conversation, which leaves out what the employer may not see."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import check_purpose, check_vacancy
from api.auth import Permission
from api.deps import MatcherDep, audit
from api.web.charts import waterfall
from api.web.pages_vacancies import PURPOSES
from api.web.render import page
from api.web.session import PREFIX, Caller, page_for
from matching.errors import InvalidInputError
from matching.records import Kind
from matching.shortlist import Criterion, FitCheck

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Checker = Annotated[Caller, Depends(page_for(Permission.FIT_CHECK))]

# What an employer may hear about a candidate: what bears on the work. Not where the person
# lives, how long they have been out of work, their benefit or age, nor the model's internals.
FOR_EMPLOYER = (
    "functietitel",
    "beroep",
    "vaardigheden",
    "ervaring",
    "opleiding",
    "uren",
    "rijbewijs",
    "beschikbaarheid",
)


def missing_lines(missing: dict[str, object], for_employer: bool = False) -> list[str]:
    """What stands between the person and the vacancy, in Dutch."""
    lines = []
    if skills := missing.get("skills"):
        lines.append("Vaardigheden niet gevonden: " + ", ".join(skills))
    if licences := missing.get("licences"):
        lines.append("Rijbewijs ontbreekt: " + ", ".join(licences))
    if (over := missing.get("distance_km_over")) and not for_employer:
        lines.append(f"Woont {over:g} km verder dan de eigen reisafstand")
    if short := missing.get("hours_short"):
        lines.append(f"Wil {short:g} uur per week minder werken dan de vacature vraagt")
    if education := missing.get("education"):
        lines.append(f"Opleiding {education['has']}, gevraagd minimaal {education['required']}")
    if available := missing.get("available_from"):
        lines.append(f"Pas beschikbaar vanaf {available}")
    return lines


def fitting(criteria: list[Criterion]) -> list[Criterion]:
    """Criteria that pass their check or raise the score."""
    return [c for c in criteria if c.passed or (c.passed is None and c.contribution > 0.005)]


def _checked(request: Request, matcher, caller: Caller, vacancy_id: str, jobseeker_id: str):
    """The API's checks and the fit check itself, audited; None when no purpose was given."""
    vacancy = matcher.get(Kind.VACANCIES, vacancy_id)
    check_vacancy(request, caller.key, vacancy)
    purpose = request.query_params.get("doel", "").strip()[:200]
    if not purpose:
        return vacancy, None, purpose
    check_purpose(request, caller.key, purpose)
    result: FitCheck = matcher.fit_check(vacancy_id, jobseeker_id)
    audit(request, caller.key, [jobseeker_id], purpose)
    return vacancy, result, purpose


@router.get("/vacatures/{vacancy_id}/fit", response_class=HTMLResponse)
def choose(vacancy_id: str, request: Request, matcher: MatcherDep, caller: Checker) -> Response:
    """Ask for the jobseeker's number and the purpose, then open the fit check."""
    vacancy = matcher.get(Kind.VACANCIES, vacancy_id)
    check_vacancy(request, caller.key, vacancy)
    person = request.query_params.get("werkzoekende", "").strip()
    purpose = request.query_params.get("doel", "").strip()[:200]
    if person and purpose:
        if len(person) > 64 or "/" in person:
            raise InvalidInputError("geen geldig nummer", "werkzoekende")
        target = f"{PREFIX}/vacatures/{vacancy_id}/fit/{person}?{urlencode({'doel': purpose})}"
        return RedirectResponse(target, status_code=303)
    context = {"vacancy": vacancy, "person": person, "purpose": purpose, "purposes": PURPOSES}
    return page(request, "fit_kiezen.html", caller, **context)


@router.get("/vacatures/{vacancy_id}/fit/{jobseeker_id}", response_class=HTMLResponse)
def fit_page(
    vacancy_id: str, jobseeker_id: str, request: Request, matcher: MatcherDep, caller: Checker
) -> Response:
    vacancy, result, purpose = _checked(request, matcher, caller, vacancy_id, jobseeker_id)
    if result is None:
        query = urlencode({"werkzoekende": jobseeker_id})
        return RedirectResponse(f"{PREFIX}/vacatures/{vacancy_id}/fit?{query}", status_code=303)
    steps = waterfall(
        result.base, [(c.name, c.contribution) for c in result.criteria], result.score
    )
    context = {"vacancy": vacancy, "fit": result, "purpose": purpose, "steps": steps}
    context |= {"fits": fitting(result.criteria), "missing": missing_lines(result.missing)}
    context |= {"summary_query": urlencode({"doel": purpose})}
    return page(request, "fit.html", caller, **context)


@router.get("/vacatures/{vacancy_id}/fit/{jobseeker_id}/samenvatting", response_class=HTMLResponse)
def employer_summary(
    vacancy_id: str, jobseeker_id: str, request: Request, matcher: MatcherDep, caller: Checker
) -> Response:
    """For the employer: the vacancy and what fits or is missing, without the person's id,
    place, age, benefit, unemployment or scores."""
    vacancy, result, _purpose = _checked(request, matcher, caller, vacancy_id, jobseeker_id)
    if result is None:
        query = urlencode({"werkzoekende": jobseeker_id})
        return RedirectResponse(f"{PREFIX}/vacatures/{vacancy_id}/fit?{query}", status_code=303)
    shown = [c for c in fitting(result.criteria) if c.name in FOR_EMPLOYER]
    context = {"vacancy": vacancy, "fits": shown, "passes": result.passes_filters}
    context |= {"missing": missing_lines(result.missing, for_employer=True)}
    return page(request, "samenvatting.html", caller, **context)
