"""Fuzzing the whole OpenAPI schema with schemathesis: thousands of cases, no 5xx."""

from __future__ import annotations

import os
from http.cookiejar import DefaultCookiePolicy

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

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


def test_no_operation_answers_5xx(live):
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    # One connection for every case; no cookie carried from one case to the next, no proxy
    # settings read from the environment each time.
    session = requests.Session()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.trust_env = False
    total, statuses = 0, {}
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 20

    def fuzz(op) -> None:
        headers = {"Authorization": f"Bearer {live.keys[role_for(op.path, op.method.upper())]}"}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def run(case):
            nonlocal total
            response = case.call(base_url=live.url, session=session, headers=headers, timeout=60)
            total += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (
                f"{op.method.upper()} {op.path} -> {response.status_code}: {response.text[:300]}"
            )

        run()

    for op in operations:
        fuzz(op)
    assert total >= 2000, total
    assert all(code < 500 for code in statuses)
    print(f"fuzz: {total} cases, {len(operations)} operations, {sorted(statuses.items())}")
