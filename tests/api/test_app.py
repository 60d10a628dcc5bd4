"""The HTTP API, served by uvicorn on loopback and called over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from matching.config import Settings
from matching.service import Matcher
from matching.store import Kind
from models.embedder import Embedder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def client(world_home: Path, model_dir: Path, embedder: Embedder) -> Iterator[httpx.Client]:
    settings = Settings(home=world_home, model_dir=model_dir)
    app = create_app(settings, Matcher(settings, embedder=embedder))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
        yield c
    server.should_exit = True
    thread.join(timeout=10)


def test_health_reports_model_indexes_and_store(client: httpx.Client, world: Matcher):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["model"]["id"] == world.embedder.model_id and body["model"]["dim"] == 384
    assert body["indexes"]["jobseekers"]["vectors"] == world.store.count(Kind.JOBSEEKERS)
    assert body["store"]["backend"] == "sqlite"


def test_shortlist_over_http(client: httpx.Client, world: Matcher):
    vid = world.store.ids(Kind.VACANCIES)[1]
    r = client.get(f"/v1/vacancies/{vid}/shortlist", params={"k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["query_id"] == vid and body["count"] == len(body["data"]) <= 5
    for item in body["data"]:
        assert {c["name"] for c in item["criteria"]} >= {"inhoud", "afstand", "uren"}
        assert "cv_text" not in item  # no CV text in shortlists


def test_overrides_narrow_the_shortlist(client: httpx.Client, world: Matcher):
    vid = world.store.ids(Kind.VACANCIES)[1]
    wide = client.get(f"/v1/vacancies/{vid}/shortlist", params={"k": 50}).json()
    near = client.get(
        f"/v1/vacancies/{vid}/shortlist", params={"k": 50, "max_distance_km": 5}
    ).json()
    assert near["passed_filters"] <= wide["passed_filters"]
    assert all(item["distance_km"] <= 5.05 for item in near["data"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"k": 0}, "k"),
        ({"k": 1000}, "k"),
        ({"k": "tien"}, "k"),
        ({"max_distance_km": -3}, "max_distance_km"),
        ({"licences": "XL"}, "licences.0"),
        ({"regions": "Utrecht"}, "regions.0"),
    ],
)
def test_bad_query_parameters_are_4xx_with_field(
    client: httpx.Client, world: Matcher, params, field
):
    vid = world.store.ids(Kind.VACANCIES)[0]
    r = client.get(f"/v1/vacancies/{vid}/shortlist", params=params)
    assert r.status_code == 422
    assert any(d["field"] == field and d["reason"] for d in r.json()["detail"])


def test_unknown_vacancy_is_404(client: httpx.Client):
    r = client.get("/v1/vacancies/VAC-NOPE/shortlist")
    assert r.status_code == 404
    assert "not found" in r.json()["detail"][0]["reason"]
