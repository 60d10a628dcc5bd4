"""The model page: the served ranker and embedder with their versions, the latest offline
evaluation (quality with 95% intervals, exposure of 45+ and long-term unemployed) and its
plots; admins reload the champion ranker here, as with `POST /v1/model/reload`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.auth import Permission
from api.deps import MatcherDep
from api.errors import http_error
from api.routes_models import embedder_status, model_info
from api.web.render import page
from api.web.session import PREFIX, Caller, Form, page_for
from matching.config import Settings

router = APIRouter(prefix=PREFIX, include_in_schema=False)

ModelReader = Annotated[Caller, Depends(page_for(Permission.MODEL))]
Admin = Annotated[Caller, Depends(page_for(Permission.KEYS))]

CHECKOUT_DOCS = Path(__file__).resolve().parents[2] / "docs"  # when run from a checkout
PLOTS = ("quality", "exposure")
METHODS = {
    "cosine": "alleen cosinus",
    "cosine_filters": "cosinus na filters",
    "hand_weighted": "handgewogen",
    "ranker": "ranker",
    "ranker_fair": "ranker, eerlijk herordend",
    "oracle": "orakel (verborgen waarheid)",
}


def latest_evaluation(settings: Settings) -> tuple[dict, str, dict[str, Path]] | None:
    """(the figures, where they come from, the plots) of the newest `werkmatch eval` in the
    data directory, else of the published results in a checkout's docs/; None without any."""
    folders = sorted(settings.reports_dir.glob("eval-*/evaluation.json"), reverse=True)
    if folders:
        folder = folders[0].parent
        plots = {name: folder / f"{name}.png" for name in PLOTS}
        return json.loads(folders[0].read_text()), f"werkmatch eval, {folder.name}", plots
    published = sorted(CHECKOUT_DOCS.glob("eval-*.json"), reverse=True)
    if published:
        plots = {name: CHECKOUT_DOCS / "img" / f"eval-{name}.png" for name in PLOTS}
        return json.loads(published[0].read_text()), f"docs/{published[0].name}", plots
    return None


@router.get("/model", response_class=HTMLResponse)
def model_page(request: Request, matcher: MatcherDep, caller: ModelReader) -> HTMLResponse:
    found = latest_evaluation(matcher.settings)
    report, source, plots = found or ({}, None, {})
    context = {
        "ranker": model_info(matcher, caller.key),
        "embedder": embedder_status(matcher),
        "report": report,
        "source": source,
        "plots": [name for name, path in plots.items() if path.is_file()],
        "methods": METHODS,
        "may_reload": caller.may(Permission.KEYS),
        "reloaded": request.query_params.get("herladen") == "1",
    }
    return page(request, "model.html", caller, **context)


@router.get("/model/grafiek/{name}")
def plot(name: str, matcher: MatcherDep, caller: ModelReader) -> Response:
    """One of the evaluation's plots (PNG)."""
    found = latest_evaluation(matcher.settings)
    path = found[2].get(name) if found else None
    if path is None or not path.is_file():
        raise http_error(404, "name", f"no plot {name[:40]!r}")
    return FileResponse(path, media_type="image/png")


@router.post("/model/herladen")
def reload(request: Request, matcher: MatcherDep, caller: Admin, form: Form) -> Response:
    """Load the champion ranker from the registry (admins)."""
    matcher.reload_ranker()
    return RedirectResponse(f"{PREFIX}/model?herladen=1", status_code=303)
