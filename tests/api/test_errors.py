"""Bad inputs: always 4xx naming the field and the reason, never a 500, nothing corrupted."""

from __future__ import annotations

import json
import logging

import pytest

from matching.records import Kind
from tests.factories import jobseeker


def good() -> dict:
    return json.loads(jobseeker(id="WZ-ERR").model_dump_json())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"postcode": "1004"}, "postcode"),
        ({"postcode": 12}, "postcode"),
        ({"licences": ["B", "XL"]}, "licences.1"),
        ({"hours_per_week": "veel"}, "hours_per_week"),
        ({"hours_per_week": 99}, "hours_per_week"),
        ({"education": None}, "education"),
        ({"desired_esco_uri": "http://example.org/x"}, "desired_esco_uri"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"available_from": "gisteren"}, "available_from"),
    ],
)
def test_bad_fields_are_422_with_field(live, change, field):
    with live.client("werkcoach") as wc:
        r = wc.post("/v1/jobseekers", json={**good(), **change})
    assert r.status_code == 422, r.text
    details = r.json()["detail"]
    assert any(d["field"] == field and d["reason"] for d in details), details
    assert live.matcher.store.get(Kind.JOBSEEKERS, "WZ-ERR") is None


def test_malformed_json_and_wrong_body_type(live):
    with live.client("werkcoach") as wc:
        r = wc.post(
            "/v1/jobseekers",
            content=b'{"id": "WZ-1", ',
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["detail"][0]["reason"]
        r = wc.post("/v1/jobseekers", json=["not", "an", "object"])
        assert r.status_code == 422


def test_oversized_bodies_are_413(live):
    with live.client("werkcoach") as wc:
        r = wc.post(
            "/v1/jobseekers",
            content=b"x" * (1024 * 1024 + 1),
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 413 and r.json()["detail"][0]["field"] == "body"

        def chunks():
            for _ in range(3):
                yield b" " * (512 * 1024)

        r = wc.post(
            "/v1/jobseekers", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413


@pytest.mark.parametrize(
    "params",
    [
        {"k": 0},
        {"k": 201},
        {"k": "tien"},
        {"max_distance_km": -1},
        {"licences": "XL"},
        {"regions": "Utrecht"},
    ],
)
def test_bad_query_parameters(live, params):
    with live.client("matchmaker") as mm:
        r = mm.get("/v1/vacancies/VAC-000001/shortlist", params=params)
    assert r.status_code == 422
    assert (
        r.json()["detail"][0]["field"] in params
        or r.json()["detail"][0]["field"].split(".")[0] in params
    )


def test_unknown_ids_are_404(live):
    with live.client("matchmaker") as mm:
        assert mm.get("/v1/vacancies/VAC-NOPE/shortlist").status_code == 404
    with live.client("werkcoach") as wc:
        assert wc.get("/v1/jobseekers/WZ-NOPE").status_code == 404
        assert wc.get("/v1/jobseekers/WZ-NOPE/vacancies").status_code == 404


def test_personal_data_never_reaches_the_logs(live, caplog):
    secret = "Mijn BSN is 123456782 en ik woon op de Geheimstraat 7"
    caplog.set_level(logging.DEBUG)
    with live.client("werkcoach") as wc:
        assert (
            wc.post(
                "/v1/jobseekers", json={**good(), "id": "WZ-LOG", "cv_text": secret}
            ).status_code
            == 201
        )
        wc.post("/v1/jobseekers", json={**good(), "cv_text": secret, "postcode": "1004"})
        wc.get("/v1/jobseekers/WZ-LOG")
    assert "Geheimstraat" not in caplog.text and "123456782" not in caplog.text


def test_concurrent_writes_and_shortlists_stay_consistent(live):
    from concurrent.futures import ThreadPoolExecutor

    def write(i: int) -> int:
        with live.client("werkcoach") as wc:
            js = {**good(), "id": f"WZ-C{i}", "cv_text": f"Heftruckchauffeur nummer {i}."}
            return wc.post("/v1/jobseekers", json=js).status_code

    def read(_: int) -> int:
        with live.client("matchmaker") as mm:
            return mm.get("/v1/vacancies/VAC-000001/shortlist", params={"k": 50}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(write, range(12))) + list(pool.map(read, range(12)))
    assert set(codes) <= {200, 201}
    m = live.matcher
    m.serving.indexer.sync(Kind.JOBSEEKERS)
    ids = set(m.store.ids(Kind.JOBSEEKERS))
    assert {f"WZ-C{i}" for i in range(12)} <= ids
    assert len(m.serving.indexer.index(Kind.JOBSEEKERS)) == m.store.count(Kind.JOBSEEKERS)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/jobseekers", {"cv_text": "kok\u0000"}, "cv_text"),
        ("/v1/jobseekers", {"skills": ["Lassen", "Heft\u0000ruck"]}, "skills.1"),
        ("/v1/jobseekers", {"id": "WZ-\u0000"}, "id"),
    ],
)
def test_nul_characters_are_422_naming_the_field(live, path, body, field):
    """PostgreSQL cannot store NUL in text: refused at the door on every backend."""
    with live.client("werkcoach") as wc:
        r = wc.post(path, json={**good(), **body})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == [{"field": field, "reason": ANY_NUL}], r.text
    assert live.matcher.store.get(Kind.JOBSEEKERS, "WZ-ERR") is None


ANY_NUL = "text must not contain NUL characters (\\u0000)"


def test_nul_in_query_form_and_bulk_rows_is_4xx(live):
    with live.client("accountmanager") as am:
        r = am.get("/v1/vacancies", params={"q": "kok\x00"})
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "q", r.text
    with live.client("matchmaker") as mm:
        r = mm.post(
            "/v1/outcomes",
            json={"vacancy_id": "VAC-000001", "jobseeker_id": "WZ-1", "outcome": "rejected",
                  "reason": "te ver\u0000"},
        )  # fmt: skip
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reason", r.text
    row = {**good(), "id": "WZ-NULROW", "cv_text": "kok\x00 in de keuken"}
    csv = ",".join(k for k in row if not isinstance(row[k], list)) + "\n"
    csv += ",".join(str(v) for v in row.values() if not isinstance(v, list)) + "\n"
    with live.client("werkcoach") as wc:
        r = wc.post(
            "/v1/jobseekers/bulk", content=csv.encode(), headers={"Content-Type": "text/csv"}
        )
    assert r.status_code < 500, r.text
    assert live.matcher.store.get(Kind.JOBSEEKERS, "WZ-NULROW") is None
