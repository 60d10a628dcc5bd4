"""Signing in with an API key, signing out, and the start page."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import authenticate
from api.deps import MatcherDep
from api.web.render import page
from api.web.session import (
    PREFIX,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    CallerDep,
    Form,
    local_path,
    read_form,
    same_token,
    set_cookie,
)
from matching.sessions import SESSION_HOURS

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _sign_in_form(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    target = local_path(request.query_params.get("volgende"))
    response = page(
        request, "inloggen.html", None, status, form_token=token, target=target, error=error
    )
    set_cookie(request, response, SIGN_IN_COOKIE, token, max_age=3600)
    return response


@router.get("/inloggen", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    return _sign_in_form(request)


@router.post("/inloggen")
async def sign_in(request: Request, matcher: MatcherDep) -> Response:
    """A valid key opens a session; the sign-in form itself is CSRF-protected (double submit)."""
    form = await read_form(request)
    if not same_token(form.get("csrf"), request.cookies.get(SIGN_IN_COOKIE, "")):
        return page(
            request,
            "fout.html",
            None,
            403,
            title="Geen toegang",
            detail=[{"field": "csrf", "reason": "formulier zonder geldig CSRF-token"}],
        )
    key = authenticate(matcher.store, form.get("sleutel", "").strip())
    if key is None:
        return _sign_in_form(request, "Deze sleutel is onbekend, ingetrokken of verlopen.", 401)
    token, _ = matcher.store.sessions.open(key.key_id)
    response = RedirectResponse(local_path(form.get("volgende")), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=int(SESSION_HOURS * 3600))
    response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
    return response


@router.post("/uitloggen")
def sign_out(request: Request, matcher: MatcherDep, caller: CallerDep, form: Form) -> Response:
    matcher.store.sessions.end(caller.token)
    response = RedirectResponse(f"{PREFIX}/inloggen?uitgelogd=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/", response_class=HTMLResponse)
def start(request: Request, caller: CallerDep) -> HTMLResponse:
    return page(request, "start.html", caller)
