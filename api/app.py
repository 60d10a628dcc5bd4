"""The FastAPI application: thin routes over `matching.service.Matcher`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from api.schemas import ErrorResponse, ShortlistPublic
from matching.config import Settings
from matching.filters import Overrides
from matching.records import Licence
from matching.service import Matcher, NotFoundError

log = logging.getLogger("werkmatch")

RegionCode = Annotated[str, StringConstraints(pattern=r"^AM\d\d$")]


def get_matcher(request: Request) -> Matcher:
    return request.app.state.matcher


MatcherDep = Annotated[Matcher, Depends(get_matcher)]


def create_app(settings: Settings, matcher: Matcher | None = None) -> FastAPI:
    """The API on one data directory (a ready Matcher may be passed in, e.g. by tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.matcher = matcher or Matcher(settings)
        app.state.matcher.prepare(progress=False)
        yield

    app = FastAPI(
        title="werkmatch",
        version="0.1.0",
        summary="Vacancy-to-jobseeker matching for public employment services",
        lifespan=lifespan,
        responses={422: {"model": ErrorResponse}},
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
                "reason": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": [{"field": "id", "reason": str(exc)}]}, status_code=404)

    @app.get("/health", tags=["service"])
    def health(matcher: MatcherDep) -> dict:
        """Model, index sizes and store status."""
        return matcher.health()

    @app.get(
        "/v1/vacancies/{vacancy_id}/shortlist", response_model=ShortlistPublic, tags=["matchmaker"]
    )
    def shortlist(
        vacancy_id: str,
        matcher: MatcherDep,
        k: Annotated[int, Query(ge=1, le=200, description="number of jobseekers")] = 20,
        max_distance_km: Annotated[float | None, Query(ge=0, le=300)] = None,
        licences: Annotated[list[Licence] | None, Query(description="override required")] = None,
        regions: Annotated[list[RegionCode] | None, Query(description="e.g. AM22")] = None,
    ) -> ShortlistPublic:
        """The best jobseekers for a vacancy after the hard filters, with reasons."""
        overrides = Overrides(
            max_distance_km=max_distance_km,
            required_licences=tuple(licences) if licences is not None else None,
            regions=tuple(regions) if regions else None,
        )
        return ShortlistPublic.of(matcher.shortlist(vacancy_id, k=k, overrides=overrides))

    return app
