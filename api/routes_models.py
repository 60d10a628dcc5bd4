"""The served models: ranker and embedder, what serves, reloading after a promotion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse

from api.auth import ApiKey, Permission
from api.deps import MatcherDep, requires
from api.schemas import EmbedderPublic, EmbedderRefPublic, ModelPublic, SwitchPublic
from matching.embedders import target_embedder
from matching.service import Matcher
from matching.switching import SwitchInProgressError

router = APIRouter(prefix="/v1")

ModelReader = Annotated[ApiKey, Depends(requires(Permission.MODEL))]
Admin = Annotated[ApiKey, Depends(requires(Permission.KEYS))]


@router.get("/model", response_model=ModelPublic, tags=["datascientist"])
def model_info(matcher: MatcherDep, key: ModelReader) -> ModelPublic:
    """The served ranker, its version and the metrics it was promoted on."""
    r = matcher.ranker
    return ModelPublic(
        ranker=r.model.kind if r else "cosine",
        version=r.version if r else None,
        metrics=r.metrics if r else {},
        embedding_model=matcher.serving.embedder.model_id,
    )


@router.post("/model/reload", response_model=ModelPublic, tags=["admin"])
def reload_model(matcher: MatcherDep, key: Admin) -> ModelPublic:
    """Load the current champion ranker from the registry (after `werkmatch promote`)."""
    matcher.reload_ranker()
    return model_info(matcher, key)


def embedder_status(matcher: Matcher) -> EmbedderPublic:
    serving, target = matcher.serving, target_embedder(matcher.settings)
    return EmbedderPublic(
        serving=EmbedderRefPublic(version=serving.ref.version, model_id=serving.model_id),
        target=EmbedderRefPublic(version=target.version, model_id=target.model_id),
        precision=serving.embedder.precision,
        switch=SwitchPublic(**matcher.switcher.status.as_dict()),
    )


@router.get("/embedder", response_model=EmbedderPublic, tags=["datascientist"])
def embedder_info(matcher: MatcherDep, key: ModelReader) -> EmbedderPublic:
    """The embedder that serves, the one that should (champion), and a switch's progress."""
    return embedder_status(matcher)


@router.post(
    "/embedder/reload",
    response_model=EmbedderPublic,
    tags=["admin"],
    responses={202: {"model": EmbedderPublic, "description": "switch started"}},
)
def reload_embedder(matcher: MatcherDep, key: Admin):
    """Switch to the champion embedder (after `werkmatch embedder promote` or `rollback`).

    Re-embeds in the background while the current embedder keeps serving, then swaps the
    indexes at once; 202 while it runs, 200 when the champion already serves. Follow it
    with `GET /v1/embedder`.
    """
    try:
        status = matcher.switcher.follow_target(background=True)
    except SwitchInProgressError as exc:
        raise HTTPException(409, [{"field": "", "reason": str(exc)}]) from exc
    body = embedder_status(matcher)
    return JSONResponse(body.model_dump(), status_code=202 if status.running else 200)
