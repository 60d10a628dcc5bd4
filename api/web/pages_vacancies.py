"""Vacancies: search, a vacancy's shortlist with its filters, and recording an outcome.

Each page goes through the same checks as its API route (role, the vacancy's region, the
purpose) and writes the same audit record for every person it shows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.access import check_purpose, check_vacancy
from api.auth import Permission
from api.deps import MatcherDep, audit
from api.routes_matching import record_outcome
from api.schemas import OutcomeCreate
from api.web.charts import score_share, waterfall
from api.web.filters import K_CHOICES, ShortlistFilters
from api.web.render import page
from api.web.session import PREFIX, Caller, Form, local_path, page_for
from matching.errors import InvalidInputError
from matching.geo import geography
from matching.listing import VACANCY_SORTS, list_vacancies
from matching.records import Kind, Licence, describe_errors

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Reader = Annotated[Caller, Depends(page_for(Permission.VACANCIES_READ))]
Matchmaker = Annotated[Caller, Depends(page_for(Permission.SHORTLIST))]
Recorder = Annotated[Caller, Depends(page_for(Permission.OUTCOMES))]

SORT_LABELS = dict(
    zip(
        VACANCY_SORTS,
        (
            "nieuwste eerst",
            "oudste eerst",
            "titel A-Z",
            "titel Z-A",
            "werkgever A-Z",
            "werkgever Z-A",
            "nummer",
        ),
        strict=True,
    )
)
FILTER_NAMES = {
    "licence": "rijbewijs",
    "distance": "afstand",
    "hours": "uren",
    "availability": "beschikbaarheid",
    "region": "regio",
}
OUTCOME_LABELS = {"invited": "uitgenodigd", "placed": "geplaatst", "rejected": "afgewezen"}
PURPOSES = (
    "voorstel aan werkgever",
    "bemiddeling voor deze vacature",
    "voorbereiding werkgeversgesprek",
    "controle van de voordracht",
)


def regions() -> list[tuple[str, str]]:
    return sorted(geography().region_names.items())


@router.get("/vacatures", response_class=HTMLResponse)
def vacancy_search(request: Request, matcher: MatcherDep, caller: Reader) -> HTMLResponse:
    """Vacancies by text, region, status and occupation group, paged."""
    p = request.query_params
    status = p.get("status", "open")
    if status not in ("", "open", "closed"):
        raise InvalidInputError("kies open, gesloten of alle", "status")
    page_no = p.get("pagina", "1")
    if not (page_no.isascii() and page_no.isdigit()) or not 1 <= int(page_no) <= 100_000:
        raise InvalidInputError("een paginanummer vanaf 1", "pagina")
    q = p.get("q", "").strip()[:100]
    found = list_vacancies(
        matcher.store,
        q=q or None,
        region=p.get("regio") or None,
        status=status or None,
        occupation=p.get("beroep", "").strip() or None,
        sort=p.get("sorteer", "-posted_date"),
        page=int(page_no),
        per_page=25,
    )
    context = {"found": found, "q": q, "status": status, "regions": regions()}
    context |= {"sorts": SORT_LABELS, "params": p, "mine": set(caller.key.regions)}
    context |= {
        "can_shortlist": caller.may(Permission.SHORTLIST),
        "can_fit": caller.may(Permission.FIT_CHECK),
    }
    return page(request, "vacatures.html", caller, **context)


@router.get("/vacatures/{vacancy_id}/shortlist", response_class=HTMLResponse)
def shortlist_page(
    vacancy_id: str, request: Request, matcher: MatcherDep, caller: Matchmaker
) -> HTMLResponse:
    """A vacancy's best candidates, explained per criterion, with filters and outcomes."""
    vacancy = matcher.get(Kind.VACANCIES, vacancy_id)
    check_vacancy(request, caller.key, vacancy)
    filters = ShortlistFilters.parse(request.query_params)
    purpose = request.query_params.get("doel", "").strip()[:200]
    context = {"vacancy": vacancy, "filters": filters, "purpose": purpose, "purposes": PURPOSES}
    context |= {"regions": regions(), "licences": [lic.value for lic in Licence]}
    context |= {"k_choices": K_CHOICES, "ticked": filters.licences_for(vacancy)}
    if not purpose:  # nobody's data before the user said why
        return page(request, "doel.html", caller, **context)
    check_purpose(request, caller.key, purpose)
    result = matcher.shortlist(vacancy_id, k=filters.k, overrides=filters.overrides())
    audit(request, caller.key, [m.id for m in result.items], purpose)
    scores = [m.score for m in result.items]
    items = [
        {
            "match": m,
            "share": score_share(m.score, scores),
            "steps": waterfall(m.base, [(c.name, c.contribution) for c in m.criteria], m.score),
        }
        for m in result.items
    ]
    back = f"{request.url.path}?{filters.query(purpose)}"
    dropped = [(FILTER_NAMES.get(k, k), n) for k, n in result.filtered_out.items() if n]
    context |= {"result": result, "items": items, "back": back, "outcomes": OUTCOME_LABELS}
    context |= {"dropped": dropped}
    return page(request, "shortlist.html", caller, **context)


@router.post("/uitkomsten")
def outcome(request: Request, matcher: MatcherDep, caller: Recorder, form: Form) -> Response:
    """Record invited / placed / rejected through the API's own code (`record_outcome`)."""
    try:
        body = OutcomeCreate(
            vacancy_id=form.get("vacancy_id", ""),
            jobseeker_id=form.get("jobseeker_id", ""),
            outcome=form.get("outcome", ""),
            reason=form.get("reden", "").strip() or None,
        )
    except ValidationError as exc:
        error = describe_errors(exc)[0]
        raise InvalidInputError(error["reason"], error["field"]) from None
    record_outcome(request, matcher, caller.key, body, "web")
    label = OUTCOME_LABELS[body.outcome.value]
    if request.headers.get("hx-request"):
        return page(request, "_vastgelegd.html", caller, label=label, body=body)
    target = local_path(form.get("terug"), f"/werkplek/vacatures/{body.vacancy_id}/shortlist")
    return RedirectResponse(target, status_code=303)
