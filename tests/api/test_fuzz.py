"""Fuzzing the whole OpenAPI schema with schemathesis: thousands of cases, no 5xx, on both
stores. With `--store=postgresql` each generated case goes to the PostgreSQL server of the API
tests and to one on SQLite over a fresh copy of the world that server started from, so
`make test` runs this test in its PostgreSQL pass only: generating the cases is most of its
cost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from models.embedder import Embedder
from tests.api.conftest import Live, serve_copy
from tests.postgres import PostgresServer

# Which role's key each operation is called with (the fuzz target is the handler, not 403s).
ROLE_OF = {
    "/v1/vacancies/{vacancy_id}/shortlist": "matchmaker",
    "/v1/vacancies/{vacancy_id}/fit/{jobseeker_id}": "matchmaker",
    "/v1/outcomes": "matchmaker",
    "/v1/vacancies": "accountmanager",
    "/v1/vacancies/{vacancy_id}": "accountmanager",
    "/v1/vacancies/bulk": "accountmanager",
    "/v1/jobseekers": "werkcoach",
    "/v1/jobseekers/{jobseeker_id}/vacancies": "werkcoach",
    "/v1/jobseekers/bulk": "werkcoach",
    "/v1/labour-market": "datascientist",
    "/v1/indicators": "datascientist",
    "/v1/jobseekers/{jobseeker_id}/risk": "werkcoach",
    "/v1/jobseekers/{jobseeker_id}/segment": "werkcoach",
    "/v1/model": "datascientist",
    "/v1/embedder": "datascientist",
}
EXAMPLES = int(os.environ.get("WERKMATCH_FUZZ_EXAMPLES", "150"))


def role_for(path: str, method: str) -> str:
    if path == "/v1/jobseekers/{jobseeker_id}":
        return "admin" if method == "DELETE" else "werkcoach"
    return ROLE_OF.get(path, "admin")


@pytest.fixture
def targets(
    live: Live,
    postgres: PostgresServer | None,
    ranked_home: tuple[Path, dict],
    tmp_path_factory,
    model_dir: Path,
    embedder: Embedder,
) -> Iterator[dict[str, Live]]:
    """The servers every case is sent to, by store: the package's live server (as the tests
    before left it) and, when that one is on PostgreSQL, a server on SQLite over a fresh copy
    of the world it started from."""
    if postgres is None:
        yield {"sqlite": live}
        return
    with serve_copy(ranked_home[0], tmp_path_factory, model_dir, embedder) as on_sqlite:
        yield {"postgresql": live, "sqlite": on_sqlite}


def session() -> requests.Session:
    """One connection for every case; no cookie carried from one case to the next, no proxy
    settings read from the environment each time."""
    s = requests.Session()
    s.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    s.trust_env = False
    return s


def test_no_operation_answers_5xx(targets: dict[str, Live]):
    first = next(iter(targets.values()))
    schema = schemathesis.openapi.from_url(f"{first.url}/openapi.json")
    sessions = {store: session() for store in targets}
    total, statuses = 0, {store: {} for store in targets}
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 20

    def fuzz(op) -> None:
        role = role_for(op.path, op.method.upper())

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def run(case):
            nonlocal total
            for store, server in targets.items():
                headers = {"Authorization": f"Bearer {server.keys[role]}"}
                response = case.call(
                    base_url=server.url, session=sessions[store], headers=headers, timeout=60
                )
                code = response.status_code
                statuses[store][code] = statuses[store].get(code, 0) + 1
                assert code < 500, (
                    f"{store}: {op.method.upper()} {op.path} -> {code}: {response.text[:300]}"
                )
            total += 1

        run()

    for op in operations:
        fuzz(op)
    assert total >= 2000, total
    for store, seen in statuses.items():
        assert sum(seen.values()) >= total and all(code < 500 for code in seen)
        print(f"fuzz on {store}: {total} cases, {len(operations)} ops, {sorted(seen.items())}")
