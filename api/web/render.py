"""Rendering the workspace: the Jinja2 templates, Dutch formats, the menu per role, and
errors as pages (a 401 becomes the sign-in page, other errors say what went wrong)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import Permission
from api.web.session import PREFIX, Caller

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

ROLE_NAMES = {
    "matchmaker": "matchmaker",
    "accountmanager": "accountmanager",
    "werkcoach": "werkcoach",
    "datascientist": "datawetenschapper",
    "admin": "beheerder",
}
MENU = (  # (label, path, any of these permissions)
    ("Vacatures", "/vacatures", (Permission.VACANCIES_READ,)),
    ("Caseload", "/caseload", (Permission.JOBSEEKERS_READ,)),
    ("Arbeidsmarkt", "/arbeidsmarkt", (Permission.LABOUR_MARKET,)),
    ("Model", "/model", (Permission.MODEL,)),
)
STATUS_TITLES = {
    403: "Geen toegang",
    404: "Niet gevonden",
    409: "Conflict",
    413: "Te groot",
    415: "Verkeerd formaat",
    422: "Ongeldige invoer",
}


def number(value: float | int | None, digits: int = 0) -> str:
    """Dutch notation: 1.234,5."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def date(value: dt.date | str | None) -> str:
    if value is None:
        return "–"
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%d-%m-%Y}"


templates.env.filters["nl"] = number
templates.env.filters["datum"] = date
templates.env.globals["prefix"] = PREFIX
templates.env.globals["role_names"] = ROLE_NAMES


def link(params, **changes: object) -> str:
    """The current query string with some parameters replaced (for paging and sorting)."""
    pairs = [(k, v) for k, v in params.multi_items() if k not in changes]
    return "?" + urlencode(pairs + [(k, str(v)) for k, v in changes.items()])


templates.env.globals["link"] = link


def menu(caller: Caller | None) -> list[tuple[str, str]]:
    if caller is None:
        return []
    return [(label, PREFIX + path) for label, path, ps in MENU if any(caller.may(p) for p in ps)]


def page(
    request: Request, name: str, caller: Caller | None, status_code: int = 200, **context
) -> HTMLResponse:
    """A page with the signed-in caller, their menu and the form token in its context."""
    context |= {
        "caller": caller,
        "user": caller.key.user if caller else None,
        "csrf": caller.csrf if caller else "",
        "menu": menu(caller),
        "here": request.url.path,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # pages may hold personal data
    return response


def error_page(request: Request, status: int, detail: list[dict[str, str]]) -> Response:
    """Errors of workspace pages: sign in again for a 401, else a page with the reasons."""
    if status == 401:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/inloggen?volgende={quote(back)}", status_code=303)
    title = STATUS_TITLES.get(status, "Fout")
    return page(request, "fout.html", None, status, title=title, detail=detail)
