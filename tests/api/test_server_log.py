"""The log of a real `werkmatch serve` process holds no person: probed with ids in paths,
CV text in bodies, and a forced 500 whose exception message carries SQL parameters."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from eval.bench_http import tls
from matching.config import Settings
from matching.directory import User
from matching.store import Store
from tests.api.conftest import wait_healthy
from tests.factories import jobseeker
from tests.postgres import free_port

SECRET_CV = "Mijn BSN is 123456782 en ik woon op de Geheimstraat 7 in Zwijndrecht"


@pytest.fixture(scope="module")
def served(world_home: Path, tmp_path_factory, model_dir: Path):
    """(URL, home, log file, admin key) of `werkmatch serve` on a copy of the small world."""
    home = tmp_path_factory.mktemp("served") / "home"
    shutil.copytree(world_home, home)
    store = Store(Settings(home=home, model_dir=model_dir).db_url)
    coach = User("wc-log", "Werkcoach", "werkcoach", "Werkplein Test", ())
    store.directory.put_user(coach)
    keys = {
        "werkcoach": store.ledger.create_key("werkcoach", "log test", coach.user_id).key,
        "admin": store.ledger.create_key("admin", "log test").key,
    }
    log = home.parent / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "WERKMATCH_HOME": str(home),
        "WERKMATCH_MODEL_DIR": str(model_dir),
        "WERKMATCH_FOLLOW_EMBEDDER_CHAMPION": "false",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, url, log, 180)
        yield url, home, log, keys
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_probed_server_logs_routes_and_error_types_but_no_person(served):
    url, home, log, keys = served
    person = jobseeker(id="WZ-LOGPROBE", cv_text=SECRET_CV).model_dump(mode="json")
    wc = {"Authorization": f"Bearer {keys['werkcoach']}"}
    with httpx.Client(base_url=url, timeout=60, verify=tls()) as c:
        assert c.post("/v1/jobseekers", json=person, headers=wc).status_code == 201
        assert c.get("/v1/jobseekers/WZ-LOGPROBE", headers=wc).status_code == 200
        assert c.get("/v1/jobseekers/WZ-UNKNOWN-99", headers=wc).status_code == 404
        bad = {**person, "postcode": "0000"}  # a 422 echoes nothing of the body into the log
        assert c.put("/v1/jobseekers/WZ-LOGPROBE", json=bad, headers=wc).status_code == 422
        with sqlite3.connect(home / "werkmatch.db") as db:  # force an error mid-request
            db.execute("DROP TABLE audit_subjects")
        r = c.get("/v1/jobseekers/WZ-LOGPROBE", headers={**wc, "X-Request-ID": "probe-0001"})
    assert r.status_code == 500 and r.json()["detail"][0]["reason"] == "internal error"
    assert r.headers["x-request-id"] == "probe-0001"
    time.sleep(0.5)
    text = log.read_text()
    for personal in ("WZ-LOGPROBE", "WZ-UNKNOWN-99", "Geheimstraat", "123456782"):
        assert personal not in text, personal
    assert "Traceback" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [x for x in lines if x["logger"] == "werkmatch.access"]
    routes = {(x["method"], x["route"], x["status"]) for x in access}
    assert ("GET", "/v1/jobseekers/{jobseeker_id}", 404) in routes
    assert ("GET", "/v1/jobseekers/{jobseeker_id}", 500) in routes
    (error,) = [x for x in lines if x["message"] == "unexpected error"]
    assert error["request_id"] == "probe-0001" and error["error"] == "OperationalError"
    assert all(x.get("request_id") for x in access)
