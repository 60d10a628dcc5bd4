"""The FastAPI application: thin routes over `matching.service.Matcher` (errors: api.errors)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api import routes_matching, routes_models, routes_records, routes_risk, routes_search, web
from api.deps import MatcherDep
from api.errors import error_response, http_error, install_error_handlers
from api.metrics import Metrics, MetricsMiddleware
from api.nul import NulGuard
from api.request_log import RequestLog
from api.schemas import ErrorResponse
from matching.config import Settings, get_settings
from matching.follow import Follower
from matching.service import Matcher, freeze_heap
from training.bootstrap import ranker_follows_switches

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
                response = error_response(413, "body", f"body larger than {limit} bytes")
                await response(scope, receive, send)
                return
            received = 0

            async def limited() -> dict:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > limit:
                    raise http_error(413, "body", "body too large")
                return message

            await self.app(scope, limited, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: Settings, matcher: Matcher | None = None, follow: bool = False) -> FastAPI:
    """The API on one data directory (a ready Matcher may be passed in, e.g. by tests);
    `follow` runs a Follower for replicas sharing the database (`werkmatch serve`)."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.matcher = ranker_follows_switches(matcher or Matcher(settings))
        app.state.matcher.prepare(progress=False)
        # A newly promoted embedder is re-embedded in the background; the current one serves.
        app.state.matcher.switcher.follow_target(background=True)
        app.state.matcher.market()  # before serving: 6 s at a million records, not on a request
        freeze_heap()
        follower = None
        if follow and settings.follow_seconds > 0:
            follower = Follower(
                app.state.matcher, settings.follow_seconds, settings.registry_seconds
            ).start()
        yield
        if follower is not None:
            follower.stop()
        app.state.matcher.serving.indexer.flush()

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
    app.add_middleware(NulGuard)
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestLog)  # last added, outermost: sees every error and status

    install_error_handlers(app)

    @app.get("/health", tags=["service"])
    def health(matcher: MatcherDep) -> dict:
        """Model, ranker, index sizes and store status (no authentication, no personal data)."""
        return matcher.health().as_dict()

    @app.get("/metrics", tags=["service"], include_in_schema=False)
    def prometheus(matcher: MatcherDep) -> Response:
        return Response(metrics.render(matcher), media_type="text/plain; version=0.0.4")

    app.include_router(routes_search.router)
    app.include_router(routes_records.router)
    app.include_router(routes_matching.router)
    app.include_router(routes_models.router)
    app.include_router(routes_risk.router)
    web.install(app)
    return app


def app_from_environment(matcher: Matcher | None = None) -> FastAPI:
    """The app each process of `werkmatch serve --workers N` builds: settings from the
    environment, a Follower like any replica (writes through one process reach the others).
    `matcher`: one this process has open already (`serve --setup`)."""
    return create_app(get_settings(), matcher, follow=True)
