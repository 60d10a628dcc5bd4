"""The werkcoach's caseload: their own and their team's jobseekers, name-free, filtered and
paged like `GET /v1/jobseekers`, and audited the same way.

The table's columns are the list `COLUMNS`: a column is its heading and how to read its cell
from a row of `matching.listing`, with the person's service segment (`Matcher.segments`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.access import deny
from api.auth import Permission
from api.deps import MatcherDep, audit
from api.web.render import date, number, page
from api.web.session import PREFIX, Caller, page_for
from matching.errors import InvalidInputError, NotTrainedError
from matching.geo import geography
from matching.labour_market import PHASES
from matching.listing import list_caseload

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Werkcoach = Annotated[Caller, Depends(page_for(Permission.JOBSEEKERS_READ))]


@dataclass(frozen=True)
class Column:
    heading: str
    cell: Callable[[dict], str]
    sort: str | None = None  # the listing's sort key, when the column sorts
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("Nummer", lambda r: r["id"], "id"),
    Column("Gewenst beroep", lambda r: r["desired_occupation"], "occupation"),
    Column("Beroepsgroep (ESCO)", lambda r: r["occupation"]["label"] or "onbekend"),
    Column("Regio", lambda r: r["region_name"] or r["region"]),
    Column("Werkloos", lambda r: r["phase"], "-months_unemployed"),
    Column("Uren per week", lambda r: number(r["hours_per_week"]), numeric=True),
    Column(
        "Beschikbaar vanaf",
        lambda r: date(r["available_from"]) if r["available_from"] else "direct",
    ),
    Column("Dienstverlening", lambda r: _segment_cell(r.get("segment"))),
)

SOURCES = {"werkcoach": "door werkcoach", "model": "risico"}


def _segment_cell(segment: dict | None) -> str:
    """'intensief (risico 64%)', or the werkcoach's choice; a dash before a model exists."""
    if segment is None:
        return "– (nog geen risicomodel)"
    risk = f"{round(100 * segment['risk'])}%"
    if segment["source"] == "werkcoach":
        return f"{segment['segment']} (door werkcoach; risico {risk})"
    return f"{segment['segment']} (risico {risk})"


def _with_segments(matcher, rows: list[dict]) -> list[dict]:
    """The rows with each person's service segment (none while no risk model is trained)."""
    try:
        segments = matcher.segments([r["id"] for r in rows])
    except NotTrainedError:
        segments = {}
    return [{**r, "segment": segments.get(r["id"])} for r in rows]


def _int(text: str, field: str, low: int, high: int) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InvalidInputError(f"een getal van {low} tot {high}", field)
    return int(text)


@router.get("/caseload", response_class=HTMLResponse)
def caseload_page(request: Request, matcher: MatcherDep, caller: Werkcoach) -> HTMLResponse:
    if caller.key.user is None:
        deny(request, caller.key, "your key belongs to no user, so to no caseload")
    p = request.query_params
    q = p.get("q", "").strip()[:100]
    found = list_caseload(
        matcher.store,
        caller.key.user,
        q=q or None,
        region=p.get("regio") or None,
        occupation=p.get("beroep", "").strip() or None,
        phase=_int(p.get("fase", ""), "fase", 0, 3),
        sort=p.get("sorteer", "id"),
        page=_int(p.get("pagina", ""), "pagina", 1, 100_000) or 1,
        per_page=25,
    )
    rows = _with_segments(matcher, found.rows)
    audit(request, caller.key, [r["id"] for r in rows], "caseload inzien")
    context = {"found": found, "rows": rows, "columns": COLUMNS, "q": q, "params": p}
    context |= {"phases": PHASES}
    context |= {"regions": sorted(geography().region_names.items())}
    return page(request, "caseload.html", caller, **context)
