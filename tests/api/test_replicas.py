"""Two real `werkmatch serve` processes on one PostgreSQL database (and one model registry):
a write or an erasure through replica A is served by replica B within the bound, and a
ranker promoted on A is served by B. Runs on PostgreSQL whatever `--store` says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from eval.bench_http import tls
from matching.directory import User
from matching.geo import geography
from matching.store import Store
from models.registry import CHAMPION, MODEL_NAME, champion_version, configure, promote
from tests.api.conftest import on_postgres, wait_healthy
from tests.factories import jobseeker, vacancy
from tests.postgres import PostgresServer, free_port

BOUND_S = 5.0  # the propagation bound the test holds the replicas to


@pytest.fixture(scope="module")
def server(postgres: PostgresServer | None) -> Iterator[PostgresServer]:
    if postgres is not None:
        yield postgres
        return
    own = PostgresServer().start()
    try:
        yield own
    finally:
        own.stop()


def _start(home: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env={**env, "WERKMATCH_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, f"http://127.0.0.1:{port}"


def _keys(url: str) -> dict[str, str]:
    """A user and key per role the test needs, in the shared database."""
    store, region = Store(url), geography().region_of(vacancy().postcode)
    users = {
        "werkcoach": User("wc-rep", "Werkcoach", "werkcoach", "Werkplein Replica", (region,)),
        "matchmaker": User("mm-rep", "Matchmaker", "matchmaker", None, (region,)),
        "accountmanager": User("am-rep", "Accountmanager", "accountmanager", None, (region,)),
        "admin": User("ad-rep", "Admin", "admin", None, ()),
        "datascientist": User("ds-rep", "Data", "datascientist", None, ()),
    }
    for user in users.values():
        store.directory.put_user(user)
    keys = {r: store.ledger.create_key(u.role, "replicas", u.user_id).key for r, u in users.items()}
    store.engine.dispose()
    return keys


@pytest.fixture(scope="module")
def replicas(ranked_home, server, tmp_path_factory, model_dir):
    """(URL of A, URL of B, keys, tracking URI, home of A) with no champion ranker yet."""
    root = tmp_path_factory.mktemp("replicas")
    homes = [root / "a", root / "b"]
    for home in homes:
        shutil.copytree(ranked_home[0], home)
    url = on_postgres(homes[0], server)
    for path in homes[1].glob("werkmatch.db*"):
        path.unlink()
    tracking = f"sqlite:///{homes[0] / 'mlflow.db'}"  # one registry for both
    version = champion_version(tracking, homes[0])
    configure(tracking, homes[0]).MlflowClient().delete_registered_model_alias(MODEL_NAME, CHAMPION)
    env = {
        **os.environ,
        "WERKMATCH_MODEL_DIR": str(model_dir),
        "WERKMATCH_DATABASE_URL": url,
        "WERKMATCH_MLFLOW_URI": tracking,
        "WERKMATCH_FOLLOW_EMBEDDER_CHAMPION": "false",
        "WERKMATCH_FOLLOW_SECONDS": "0.5",
        "WERKMATCH_REGISTRY_SECONDS": "0.5",
    }
    keys = _keys(url)
    started = [_start(h, env, root / f"{h.name}.log") for h in homes]
    try:
        for (proc, base), home in zip(started, homes, strict=True):
            wait_healthy(proc, base, root / f"{home.name}.log", 300)
        yield started[0][1], started[1][1], keys, tracking, homes[0], version
    finally:
        for proc, _ in started:
            proc.terminate()
        for proc, _ in started:
            proc.wait(60)


def _client(url: str, key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}", "X-Purpose": "replicas"}
    return httpx.Client(base_url=url, headers=headers, timeout=60, verify=tls())


def _until(check: Callable[[], bool]) -> float:
    """Seconds until `check()` holds, polled every 10 ms; fails past the bound."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < BOUND_S, f"not seen within {BOUND_S} s"
        time.sleep(0.01)
    return time.monotonic() - start


def _shortlisted(client: httpx.Client, vacancy_id: str) -> set[str]:
    r = client.get(f"/v1/vacancies/{vacancy_id}/shortlist", params={"k": 50})
    assert r.status_code == 200, r.text
    return {item["id"] for item in r.json()["data"]}


def test_writes_and_erasures_on_one_replica_are_served_by_the_other(replicas, capsys):
    a, b, keys, *_ = replicas
    vac = vacancy(id="VAC-REPLICA").model_dump(mode="json")
    person = jobseeker(id="WZ-REPLICA").model_dump(mode="json")
    with _client(a, keys["accountmanager"]) as am, _client(a, keys["werkcoach"]) as wc:
        assert am.post("/v1/vacancies", json=vac).status_code == 201
        assert wc.post("/v1/jobseekers", json=person).status_code == 201
    with _client(b, keys["matchmaker"]) as mm_b:
        seen = _until(lambda: "WZ-REPLICA" in _shortlisted(mm_b, "VAC-REPLICA"))
        with _client(a, keys["admin"]) as admin:
            assert admin.delete("/v1/jobseekers/WZ-REPLICA").status_code in (200, 204)
        gone = _until(lambda: "WZ-REPLICA" not in _shortlisted(mm_b, "VAC-REPLICA"))
    with capsys.disabled():
        print(f"\nreplica B: write seen after {seen:.3f} s, erasure after {gone:.3f} s")


def test_a_ranker_promoted_on_one_replica_is_served_by_the_other(replicas, capsys):
    _, b, keys, tracking, home_a, version = replicas
    with _client(b, keys["datascientist"]) as ds:
        assert ds.get("/v1/model").json()["ranker"] == "cosine"
        promote(tracking, home_a, version)  # `werkmatch promote` with replica A's settings
        took = _until(lambda: ds.get("/v1/model").json()["version"] == version)
    with capsys.disabled():
        print(f"\nreplica B: ranker promotion served after {took:.3f} s")
