"""FastAPI dependencies: the matcher, the authenticated key, role checks and the audit log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from fastapi import Depends, Header, Request

from api.access import deny
from api.auth import ApiKey, Permission, authenticate
from api.errors import http_error
from matching.service import Matcher


def get_matcher(request: Request) -> Matcher:
    return request.app.state.matcher


MatcherDep = Annotated[Matcher, Depends(get_matcher)]

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def current_key(
    matcher: MatcherDep,
    authorization: Annotated[str | None, Header(description="Bearer API key")] = None,
) -> ApiKey:
    """The caller behind `Authorization: Bearer KEY`; 401 when missing or wrong."""
    if not authorization:
        raise http_error(401, "Authorization", "missing API key", _UNAUTHORIZED)
    scheme, _, token = authorization.partition(" ")
    key = authenticate(matcher.store, token.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        raise http_error(401, "Authorization", "invalid API key", _UNAUTHORIZED)
    return key


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def requires(*permissions: Permission) -> Callable[..., ApiKey]:
    """A dependency that lets through keys whose role has any of the permissions; a refusal
    is audited like every other (api.access.deny)."""

    def check(request: Request, key: CurrentKey) -> ApiKey:
        if not any(key.may(p) for p in permissions):
            deny(request, key, f"role {key.role.value} may not do this")
        return key

    return check


def audit(request: Request, key: ApiKey, jobseeker_ids: Sequence[str], purpose: str | None) -> None:
    """Record who received personal data of which jobseekers, where and why."""
    if not jobseeker_ids:
        return
    route = request.scope.get("route")
    endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
    request.app.state.matcher.store.ledger.write_audit(
        key.key_id, key.role.value, endpoint, list(jobseeker_ids), purpose
    )


PurposeHeader = Annotated[
    str | None,
    Header(
        alias="X-Purpose",
        max_length=200,
        description="why personal data is asked for; kept in the audit log",
    ),
]
