"""The full role x endpoint matrix: allowed roles pass authorisation, the others get 403."""

from __future__ import annotations

import pytest

from api.auth import Role

ALL = {r.value for r in Role}
# (method, path, json body, roles allowed)
ENDPOINTS = [
    ("GET", "/v1/vacancies/VAC-000001/shortlist", None, {"matchmaker"}),
    ("GET", "/v1/vacancies/VAC-000001/fit/WZ-0000001", None, {"matchmaker", "accountmanager"}),
    (
        "POST",
        "/v1/outcomes",
        {"vacancy_id": "VAC-000001", "jobseeker_id": "WZ-0000001", "outcome": "invited"},
        {"matchmaker"},
    ),
    ("GET", "/v1/vacancies/VAC-000001", None, {"matchmaker", "accountmanager"}),
    ("GET", "/v1/vacancies?q=kok", None, {"matchmaker", "accountmanager"}),
    ("GET", "/v1/jobseekers?page=2", None, {"werkcoach"}),
    ("PUT", "/v1/vacancies/VAC-NOPE", {}, {"accountmanager"}),
    ("POST", "/v1/vacancies", {}, {"accountmanager"}),
    ("DELETE", "/v1/vacancies/VAC-NOPE", None, {"accountmanager"}),
    ("GET", "/v1/jobseekers/WZ-0000001", None, {"werkcoach"}),
    ("POST", "/v1/jobseekers", {}, {"werkcoach"}),
    ("PUT", "/v1/jobseekers/WZ-NOPE", {}, {"werkcoach"}),
    ("GET", "/v1/jobseekers/WZ-0000001/vacancies", None, {"werkcoach"}),
    ("GET", "/v1/jobseekers/WZ-0000001/risk", None, {"werkcoach"}),
    ("PUT", "/v1/jobseekers/WZ-NOPE/segment", {}, {"werkcoach"}),
    ("GET", "/v1/indicators", None, {"datascientist", "admin"}),
    ("DELETE", "/v1/jobseekers/WZ-NOPE", None, {"admin"}),
    ("GET", "/v1/labour-market", None, {"datascientist", "admin"}),
    ("GET", "/v1/model", None, {"datascientist", "admin"}),
    ("POST", "/v1/model/reload", None, {"admin"}),
    ("GET", "/v1/embedder", None, {"datascientist", "admin"}),
    ("POST", "/v1/embedder/reload", None, {"admin"}),
    ("GET", "/v1/audit", None, {"admin"}),
    ("GET", "/v1/erasures", None, {"admin"}),
    ("GET", "/v1/keys", None, {"admin"}),
    ("POST", "/v1/keys", {"role": "nobody"}, {"admin"}),
    ("POST", "/v1/keys/nope/rotate", None, {"admin"}),
    ("DELETE", "/v1/keys/nope", None, {"admin"}),
    ("GET", "/v1/users", None, {"admin"}),
    ("POST", "/v1/users", {}, {"admin"}),
    ("POST", "/v1/jobseekers/bulk?format=csv", None, {"werkcoach"}),
    ("POST", "/v1/vacancies/bulk?format=csv", None, {"accountmanager"}),
]


@pytest.mark.parametrize(
    ("method", "path", "payload", "allowed"),
    ENDPOINTS,
    ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS],
)
@pytest.mark.parametrize("role", sorted(ALL))
def test_role_matrix(live, role, method, path, payload, allowed):
    with live.client(role) as c:
        r = c.request(method, path, json=payload)
    if role in allowed:
        assert r.status_code not in (401, 403), r.text
        assert r.status_code < 500
    else:
        assert r.status_code == 403, r.text
        assert "may not" in r.json()["detail"][0]["reason"]


@pytest.mark.parametrize(("method", "path", "payload", "allowed"), ENDPOINTS[:6])
def test_missing_or_wrong_key_is_401(live, method, path, payload, allowed):
    with live.client() as anonymous:
        r = anonymous.request(method, path, json=payload)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    for bad in ("wm_nope.nope", "garbage", live.keys["admin"] + "x"):
        with live.client(key=bad) as c:
            assert c.request(method, path, json=payload).status_code == 401
    with live.client() as c:
        r = c.request(
            method, path, json=payload, headers={"Authorization": "Basic " + live.keys["admin"]}
        )
        assert r.status_code == 401


PUBLIC = {("GET", "/health"), ("GET", "/metrics")}


def test_the_matrix_covers_every_operation(live):
    import re

    from fastapi.routing import APIRoute

    operations = {
        (method, route.path)
        for route in live.app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if not route.path.startswith("/werkplek")  # pages: tests/api/web (session, not key)
    } - PUBLIC
    covered = {
        (method, template)
        for method, template in operations
        for m, path, _, _ in ENDPOINTS
        if m == method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path.split("?")[0])
    }
    assert operations - covered == set()
