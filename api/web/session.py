"""Who is signed in to the workspace, what they may open, and the CSRF check on every form.

A session comes from an API key (`matching/sessions.py` keeps it server-side); the cookie holds
only a random token. Pages are guarded with the API's roles (`api.auth`) and scopes
(`api.access`), with the same audited refusals; a page without a session redirects to the
sign-in page (the 401 is turned into a redirect by `api.web.render.error_page`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request, Response

from api.access import deny
from api.auth import ApiKey, Permission, Role
from api.deps import MatcherDep
from api.errors import http_error

PREFIX = "/werkplek"
SESSION_COOKIE = "werkmatch_sessie"
SIGN_IN_COOKIE = "werkmatch_inlog"  # the sign-in form's CSRF token (double submit)
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Caller:
    """A signed-in user: the key the session was opened with (as the API sees a caller),
    the session's CSRF token and its cookie token."""

    key: ApiKey
    csrf: str
    token: str

    def may(self, permission: Permission) -> bool:
        return self.key.may(permission)


def current_caller(request: Request, matcher: MatcherDep) -> Caller:
    """The caller behind the session cookie; 401 (to the sign-in page) without a live one."""
    token = request.cookies.get(SESSION_COOKIE, "")
    session = matcher.store.sessions.get(token) if token else None
    if session is None:
        raise http_error(401, "sessie", "log eerst in")
    user = matcher.store.directory.user(session.user_id)
    return Caller(ApiKey(session.key_id, Role(session.role), user), session.csrf, token)


CallerDep = Annotated[Caller, Depends(current_caller)]


def page_for(*permissions: Permission) -> Callable[..., Caller]:
    """A dependency that lets through callers whose role has any of the permissions; others
    get the API's audited 403."""

    def check(request: Request, caller: CallerDep) -> Caller:
        if not any(caller.may(p) for p in permissions):
            deny(request, caller.key, f"role {caller.key.role.value} may not do this")
        return caller

    return check


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an urlencoded form (last value of each; none for an empty body); 415
    for any other body."""
    body = await request.body()
    if not body:
        return {}
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        raise http_error(415, "Content-Type", f"send {FORM_TYPE}")
    text = body.decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


async def checked_form(request: Request, caller: CallerDep) -> dict[str, str]:
    """A form posted in this session: refused (403, audited) without its CSRF token."""
    form = await read_form(request)
    if not same_token(form.get("csrf"), caller.csrf):
        deny(request, caller.key, "form without a valid CSRF token")
    return form


Form = Annotated[dict[str, str], Depends(checked_form)]


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """HttpOnly, SameSite=Strict, for the workspace's paths only; Secure as configured (by
    default when the request came over HTTPS)."""
    configured = request.app.state.matcher.settings.secure_cookies
    secure = request.url.scheme == "https" if configured is None else configured
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def local_path(target: str | None, default: str = PREFIX + "/") -> str:
    """A redirect target inside the workspace only (no open redirects)."""
    if target and target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target:
        return target
    return default
