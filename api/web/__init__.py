"""The workspace of matchmakers, account managers and werkcoaches: server-rendered pages
(Jinja2, htmx vendored in `static/`) on the same app, roles, scopes and audit log as the API.

`install(app)` adds the pages under /werkplek, their static files and their error pages.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.web import (
    pages_auth,
    pages_caseload,
    pages_fit,
    pages_market,
    pages_model,
    pages_vacancies,
)
from api.web.render import error_page
from api.web.session import PREFIX

STATIC = Path(__file__).parent / "static"
PAGES = (pages_auth, pages_vacancies, pages_fit, pages_caseload, pages_market, pages_model)


def install(app: FastAPI) -> None:
    """Serve the workspace from `app` (the API's own FastAPI application)."""
    for module in PAGES:
        app.include_router(module.router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="werkplek-static")
    app.state.error_pages = (PREFIX, error_page)
    app.state.scarcity = pages_market.ScarcityCache()

    async def to_workspace(_request) -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    app.router.add_route("/", to_workspace, include_in_schema=False)
