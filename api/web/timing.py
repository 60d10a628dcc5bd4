"""`werkmatch page-bench`: the workspace's shortlist page timed in process, through the whole
ASGI stack (middleware, session, audit write, rendering), signed in as a matchmaker of every
region, on a copy of the data directory (a user, a key, sessions and audit rows are written
there, never into the original)."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from matching.config import Settings

PURPOSE = "voorstel aan werkgever"
PAGE = "/werkplek/vacatures/{}/shortlist"


@contextmanager
def _signed_in(settings: Settings) -> Iterator:
    """A test client of the app on `settings`, signed in as a matchmaker of every region."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from matching.directory import User
    from matching.geo import geography
    from matching.store import Store

    store = Store(settings.db_url)
    regions = tuple(sorted(set(geography().region_codes.tolist())))
    store.directory.put_user(User("page-timing", "Page timing", "matchmaker", "bench", regions))
    key = store.ledger.create_key("matchmaker", "page timing", "page-timing", 1).key
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        form = client.get("/werkplek/inloggen").text
        token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        answer = client.post("/werkplek/inloggen", data={"csrf": token, "sleutel": key})
        if answer.status_code not in (200, 303):
            raise RuntimeError(f"sign-in failed: {answer.status_code}")
        yield client


def _one_round(client, vacancy_ids: list[str], k: int) -> dict[str, float]:
    """Median, p90 and max ms of one shortlist page request per vacancy."""
    took = []
    for vacancy_id in vacancy_ids:
        start = time.perf_counter()
        page = client.get(PAGE.format(vacancy_id), params={"doel": PURPOSE, "k": k})
        took.append((time.perf_counter() - start) * 1000)
        if page.status_code != 200:
            raise RuntimeError(f"{vacancy_id}: HTTP {page.status_code}")
    return {
        "median_ms": round(float(np.median(took)), 1),
        "p90_ms": round(float(np.percentile(took, 90)), 1),
        "max_ms": round(max(took), 1),
    }


def time_pages(settings: Settings, vacancies: int = 40, k: int = 20) -> dict[str, object]:
    """Median, p90 and max ms of the shortlist page: each vacancy's first and second request."""
    from matching.records import Kind

    if settings.database_url or settings.index_dir or settings.mlflow_uri:
        raise ValueError(
            "page-bench copies a data directory; unset the database, index and "
            "MLflow locations so that everything is in WERKMATCH_HOME"
        )
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "home"
        shutil.copytree(settings.home, copy)
        update = {"home": copy, "model_dir": settings.embedding_model_dir}
        with _signed_in(settings.model_copy(update=update)) as client:
            matcher = client.app.state.matcher
            ids = matcher.store.ids(Kind.VACANCIES)[: vacancies + 1]
            client.get(PAGE.format(ids[0]), params={"doel": PURPOSE})  # warm-up, not counted
            figures: dict[str, object] = {"ranker": matcher.health().ranker.name}
            for label in ("first", "second"):
                figures[label] = _one_round(client, ids[1:], k)
    return figures
