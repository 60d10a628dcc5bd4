"""The FastAPI application: thin routes over `matching.service.Matcher`.

Errors are always `{"detail": [{"field", "reason"}]}` with a 4xx status; an unexpected error
is a 500 without details, logged without request data (no CV text or personal fields).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api import routes_matching, routes_models, routes_records
from api.deps import MatcherDep
from api.metrics import Metrics, MetricsMiddleware
from api.schemas import ErrorResponse
from matching.config import Settings
from matching.geo import UnknownPostcodeError
from matching.service import Matcher, NotFoundError, freeze_heap

log = logging.getLogger("werkmatch")

MAX_BODY_BYTES = 50 * 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024


class BodyLimit:
    """413 for bodies over the limit (1 MB for JSON, 50 MB for bulk uploads)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            limit = MAX_BODY_BYTES if scope["path"].endswith("/bulk") else MAX_JSON_BYTES
            length = headers.get(b"content-length")
            too_big = length is not None and (not length.isdigit() or int(length) > limit)
            if too_big:
                response = JSONResponse(
                    {"detail": [{"field": "body", "reason": f"body larger than {limit} bytes"}]},
                    status_code=413,
                )
                await response(scope, receive, send)
                return
            received = 0

            async def limited() -> dict:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, [{"field": "body", "reason": "body too large"}])
                return message

            await self.app(scope, limited, send)
            return
        await self.app(scope, receive, send)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def create_app(settings: Settings, matcher: Matcher | None = None) -> FastAPI:
    """The API on one data directory (a ready Matcher may be passed in, e.g. by tests)."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.matcher = matcher or Matcher(settings)
        app.state.matcher.prepare(progress=False)
        # A newly promoted embedder is re-embedded in the background; the current one serves.
        app.state.matcher.switcher.follow_target(background=True)
        app.state.matcher.market()  # before serving: 6 s at a million records, not on a request
        freeze_heap()
        yield
        app.state.matcher.indexer.flush()

    app = FastAPI(
        title="werkmatch",
        version="0.1.0",
        summary="Vacancy-to-jobseeker matching for public employment services",
        description="Authenticate with `Authorization: Bearer KEY` (keys per role: "
        "`werkmatch keys create ROLE`). Every response with personal data is audit-logged; "
        "say why in the `X-Purpose` header.",
        lifespan=lifespan,
        responses={
            401: {"model": ErrorResponse},
            403: {"model": ErrorResponse},
            404: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
        },
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"field": _field(e["loc"]), "reason": e["msg"].removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        detail = (
            exc.detail
            if isinstance(exc.detail, list)
            else [{"field": "", "reason": str(exc.detail)}]
        )
        return JSONResponse(
            {"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": [{"field": "id", "reason": str(exc)}]}, status_code=404)

    @app.exception_handler(UnknownPostcodeError)
    async def _postcode(_: Request, exc: UnknownPostcodeError) -> JSONResponse:
        return JSONResponse(
            {"detail": [{"field": "postcode", "reason": str(exc)}]}, status_code=422
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Type and route only: request bodies may hold CV text and personal fields.
        log.error(
            "unexpected %s on %s %s",
            type(exc).__name__,
            request.method,
            getattr(request.scope.get("route"), "path", "?"),
        )
        return JSONResponse(
            {"detail": [{"field": "", "reason": "internal error"}]}, status_code=500
        )

    @app.get("/health", tags=["service"])
    def health(matcher: MatcherDep) -> dict:
        """Model, ranker, index sizes and store status (no authentication, no personal data)."""
        return matcher.health()

    @app.get("/metrics", tags=["service"], include_in_schema=False)
    def prometheus(matcher: MatcherDep) -> Response:
        return Response(metrics.render(matcher), media_type="text/plain; version=0.0.4")

    app.include_router(routes_records.router)
    app.include_router(routes_matching.router)
    app.include_router(routes_models.router)
    return app
