"""Errors as HTTP: one body shape, `{"detail": [{"field", "reason"}]}`, and one place that maps
domain errors to statuses. An unexpected error is answered by `api.request_log.RequestLog`:
a 500 without details, logged by type and route template only.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from matching.errors import (
    AlreadyExistsError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    NotTrainedError,
    SwitchInProgressError,
)

STATUS_OF: dict[type[DomainError], int] = {
    NotFoundError: 404,
    AlreadyExistsError: 409,
    SwitchInProgressError: 409,
    NotTrainedError: 409,
    InvalidInputError: 422,
}


def problem(field: str, reason: str) -> list[dict[str, str]]:
    """The `detail` list of an error body."""
    return [{"field": field, "reason": reason}]


def http_error(
    status: int, field: str, reason: str, headers: dict[str, str] | None = None
) -> HTTPException:
    return HTTPException(status, problem(field, reason), headers=headers)


def error_response(status: int, field: str, reason: str) -> JSONResponse:
    return JSONResponse({"detail": problem(field, reason)}, status_code=status)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _status(exc: DomainError) -> int:
    return next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)


def _answer(
    request: Request, status: int, detail: list, headers: dict[str, str] | None = None
) -> Response:
    """The error body, or for a page of the workspace its error page (api.web.render)."""
    pages = getattr(request.app.state, "error_pages", None)
    if pages is not None and request.url.path.startswith(pages[0]):
        return pages[1](request, status, detail)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Validation errors, HTTP errors, domain errors and the unexpected, all in one shape."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        detail = [
            {"field": _field(e["loc"]), "reason": e["msg"].removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        return _answer(request, 422, detail)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, list) else problem("", str(exc.detail))
        return _answer(request, exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return _answer(request, _status(exc), problem(exc.field, exc.reason))
