"""Every endpoint over real HTTP: records, shortlists, fit checks, outcomes, audit, erase."""

from __future__ import annotations

import json

import pytest

from matching.records import Kind
from tests.factories import jobseeker, vacancy


def body(record) -> dict:
    return json.loads(record.model_dump_json())


@pytest.fixture(scope="module")
def records(live):
    """A vacancy and two jobseekers created through the API."""
    with live.client("accountmanager") as am, live.client("werkcoach") as wc:
        assert am.post("/v1/vacancies", json=body(vacancy(id="VAC-API"))).status_code == 201
        for js in (jobseeker(id="WZ-API1"), jobseeker(id="WZ-API2", postcode="3000")):
            assert wc.post("/v1/jobseekers", json=body(js)).status_code == 201
    return "VAC-API", "WZ-API1", "WZ-API2"


def test_health_and_metrics_are_public(live):
    with live.client() as c:
        h = c.get("/health").json()
        assert h["status"] == "ok" and h["model"]["dim"] == 384
        assert h["indexes"]["jobseekers"]["vectors"] == live.matcher.store.count(Kind.JOBSEEKERS)
        m = c.get("/metrics")
        assert m.status_code == 200
        assert "werkmatch_requests_total" in m.text and "werkmatch_index_vectors" in m.text
        assert 'route="/health"' in m.text


def test_openapi_page_documents_every_endpoint(live):
    with live.client() as c:
        paths = c.get("/openapi.json").json()["paths"]
        assert c.get("/docs").status_code == 200
    for path in (
        "/v1/jobseekers",
        "/v1/jobseekers/{jobseeker_id}",
        "/v1/jobseekers/bulk",
        "/v1/vacancies/{vacancy_id}/shortlist",
        "/v1/jobseekers/{jobseeker_id}/vacancies",
        "/v1/vacancies/{vacancy_id}/fit/{jobseeker_id}",
        "/v1/outcomes",
        "/v1/labour-market",
        "/v1/model",
        "/v1/audit",
        "/v1/keys",
    ):
        assert path in paths, path


def test_jobseeker_crud(live, records):
    _, js_id, _ = records
    with live.client("werkcoach") as wc:
        assert wc.get(f"/v1/jobseekers/{js_id}").json()["id"] == js_id
        changed = body(jobseeker(id=js_id, hours_per_week=20))
        assert wc.put(f"/v1/jobseekers/{js_id}", json=changed).json()["hours_per_week"] == 20
        r = wc.post("/v1/jobseekers", json=changed)
        assert r.status_code == 409 and r.json()["detail"][0]["field"] == "id"
        r = wc.put("/v1/jobseekers/WZ-OTHER", json=changed)
        assert r.status_code == 422 and "differs from path id" in r.json()["detail"][0]["reason"]
        assert (
            wc.put("/v1/jobseekers/WZ-NOPE", json=body(jobseeker(id="WZ-NOPE"))).status_code == 404
        )
        wc.put(f"/v1/jobseekers/{js_id}", json=body(jobseeker(id=js_id)))


def test_vacancy_crud(live, records):
    with live.client("accountmanager") as am:
        assert am.post("/v1/vacancies", json=body(vacancy(id="VAC-TMP"))).status_code == 201
        assert am.get("/v1/vacancies/VAC-TMP").json()["employer"].startswith("Van der Linden")
        r = am.put("/v1/vacancies/VAC-TMP", json=body(vacancy(id="VAC-TMP", status="closed")))
        assert r.json()["status"] == "closed"
        assert am.delete("/v1/vacancies/VAC-TMP").status_code == 204
        assert am.get("/v1/vacancies/VAC-TMP").status_code == 404


def test_shortlist_explains_every_item(live, records):
    vac_id, js_id, _ = records
    with live.client("matchmaker") as mm:
        r = mm.get(
            f"/v1/vacancies/{vac_id}/shortlist",
            params={"k": 5},
            headers={"X-Purpose": "voorstel aan werkgever"},
        )
        assert r.status_code == 200
        data = r.json()
        assert data["count"] == len(data["data"]) and data["data"][0]["id"] in {js_id, "WZ-API2"}
        for item in data["data"]:
            assert item["score"] == pytest.approx(
                item["base"] + sum(c["contribution"] for c in item["criteria"]), abs=1e-6
            )
            afstand = next(c for c in item["criteria"] if c["name"] == "afstand")
            assert afstand["reason"].startswith("Woont op")
            assert "cv_text" not in item
        plain = mm.get(f"/v1/vacancies/{vac_id}/shortlist", params={"explain": "false"}).json()
        assert all(item["criteria"] == [] for item in plain["data"])
        assert "doorsnee kandidaat" in data["reference"] and data["fair"] is False
        fair = mm.get(f"/v1/vacancies/{vac_id}/shortlist", params={"k": 5, "fair": "true"})
        assert fair.status_code == 200 and fair.json()["fair"] is True
        assert fair.json()["count"] == data["count"]  # the same k, re-ordered and re-chosen
        bad = mm.get(f"/v1/vacancies/{vac_id}/shortlist", params={"fair": "misschien"})
        assert bad.status_code == 422 and "fair" in bad.text
    entry = live.matcher.store.ledger.audit_rows(limit=5)
    assert any(
        e["purpose"] == "voorstel aan werkgever"
        and js_id in e["jobseeker_ids"]
        and e["role"] == "matchmaker"
        for e in entry
    )


def test_vacancies_for_a_jobseeker(live, records):
    vac_id, js_id, _ = records
    with live.client("werkcoach") as wc:
        data = wc.get(f"/v1/jobseekers/{js_id}/vacancies", params={"k": 3}).json()
    assert data["direction"] == "vacancies" and data["data"][0]["id"] == vac_id


def test_fit_check_for_account_managers(live, records):
    vac_id, js_id, _ = records
    with live.client("accountmanager") as am:
        fit = am.get(f"/v1/vacancies/{vac_id}/fit/{js_id}").json()
        assert fit["passes_filters"] and fit["rank"] >= 1 and fit["ranked_among"] >= fit["rank"]
        assert {c["name"] for c in fit["criteria"]} >= {"afstand", "uren", "vaardigheden"}
        assert fit["score"] == pytest.approx(
            fit["base"] + sum(c["contribution"] for c in fit["criteria"]), abs=1e-6
        )
        far = live.matcher.store.ids(Kind.JOBSEEKERS)[0]
        other = am.get(f"/v1/vacancies/{vac_id}/fit/{far}").json()
        if not other["passes_filters"]:
            assert other["rank"] is None and other["missing"]
        assert am.get(f"/v1/vacancies/{vac_id}/fit/WZ-NOPE").status_code == 404


def test_outcomes(live, records):
    vac_id, js_id, _ = records
    with live.client("matchmaker") as mm:
        ok = {
            "vacancy_id": vac_id,
            "jobseeker_id": js_id,
            "outcome": "rejected",
            "reason": "reisafstand te groot",
        }
        assert mm.post("/v1/outcomes", json=ok).status_code == 201
        r = mm.post("/v1/outcomes", json={**ok, "outcome": "hired"})
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "outcome"
        r = mm.post("/v1/outcomes", json={**ok, "jobseeker_id": "WZ-NOPE"})
        assert r.status_code == 404 and r.json()["detail"][0]["field"] == "jobseeker_id"
    rows = live.matcher.store.ledger.outcome_rows()
    assert rows[-1]["reason"] == "reisafstand te groot"


def test_labour_market_model_and_keys(live):
    with live.client("datascientist") as ds:
        lm = ds.get("/v1/labour-market").json()
        assert lm["count"] > 0
        row = lm["data"][0]
        assert set(row) >= {
            "group",
            "region",
            "vacancies",
            "short_unemployed",
            "tension",
            "tension_class",
        }
        assert not {"id", "jobseeker_ids", "cv_text"} & set(row)
        one = ds.get(
            "/v1/labour-market", params={"region": row["region"], "occupation": row["group"]}
        ).json()
        assert one["count"] == 1
        assert ds.get("/v1/labour-market", params={"occupation": "kok"}).status_code == 422
        model = ds.get("/v1/model").json()
        assert model["embedding_model"] == live.matcher.serving.embedder.model_id
    with live.client("admin") as admin:
        coach = live.users["werkcoach"].user_id  # a key belongs to a named user
        created = admin.post(
            "/v1/keys", json={"role": "werkcoach", "label": "x", "user_id": coach}
        ).json()
        with live.client(key=created["key"]) as new:
            assert new.get("/v1/jobseekers/WZ-API2").status_code == 200
        assert admin.delete(f"/v1/keys/{created['key_id']}").status_code == 204
        with live.client(key=created["key"]) as revoked:
            assert revoked.get("/v1/jobseekers/WZ-API2").status_code == 401
        assert any(k["key_id"] == created["key_id"] for k in admin.get("/v1/keys").json()["data"])


def test_bulk_upload_reports_rows(live):
    csv = (
        "id,desired_occupation,education,postcode,hours_per_week\n"
        "WZ-B1,kok,mbo2,3011,32\nWZ-B2,kok,mbo9,3011,32\nWZ-B3,kok,mbo2,1004,32\n"
    )
    with live.client("werkcoach") as wc:
        r = wc.post("/v1/jobseekers/bulk", content=csv, headers={"Content-Type": "text/csv"})
        report = r.json()
        assert r.status_code == 200 and report["stored"] == 1 and report["bad_rows"] == 2
        assert {(e["row"], e["field"]) for e in report["errors"]} == {
            (2, "education"),
            (3, "postcode"),
        }
        r = wc.post("/v1/jobseekers/bulk", content=csv, headers={"Content-Type": "image/png"})
        assert r.status_code == 415
        jsonl = (
            '{"id": "WZ-B4", "desired_occupation": "kok", "education": "mbo2", '
            '"postcode": "3011", "hours_per_week": 30}\n'
        )
        r = wc.post("/v1/jobseekers/bulk", params={"format": "jsonl"}, content=jsonl)
        assert r.json()["stored"] == 1


def test_erase_removes_everywhere_and_is_audited(live, records):
    vac_id, _, js_id = records
    with live.client("matchmaker") as mm:
        mm.post(
            "/v1/outcomes", json={"vacancy_id": vac_id, "jobseeker_id": js_id, "outcome": "invited"}
        )
        assert js_id in {
            i["id"] for i in mm.get(f"/v1/vacancies/{vac_id}/shortlist").json()["data"]
        }
    with live.client("admin") as admin:
        assert admin.delete(f"/v1/jobseekers/{js_id}").status_code == 204
        assert admin.delete(f"/v1/jobseekers/{js_id}").status_code == 404
        # The audit log no longer names the erased person; a receipt says who erased, when
        # and how much went (issue 14: the erasure itself carries no personal data).
        audit = admin.get("/v1/audit", params={"jobseeker_id": js_id}).json()
        assert audit["data"] == []
        (receipt, *_) = admin.get("/v1/erasures").json()["data"]
        assert receipt["role"] == "admin" and receipt["removed"]["records"] == 1
        assert receipt["removed"]["outcomes"] >= 1 and js_id not in str(receipt)
    with live.client("matchmaker") as mm:
        ids = {
            i["id"]
            for i in mm.get(f"/v1/vacancies/{vac_id}/shortlist", params={"k": 200}).json()["data"]
        }
    assert js_id not in ids
    store = live.matcher.store
    assert store.get(Kind.JOBSEEKERS, js_id) is None
    assert all(r["jobseeker_id"] != js_id for r in store.ledger.outcome_rows())
    assert store.rowid(Kind.JOBSEEKERS, js_id) is None


def test_embedder_status_and_reload_when_the_champion_already_serves(live):
    with live.client("datascientist") as ds:
        info = ds.get("/v1/embedder").json()
    model_id = live.matcher.serving.embedder.model_id
    assert info["serving"] == {"version": "base", "model_id": model_id}
    assert info["target"] == info["serving"]  # nothing promoted in this data directory
    assert info["switch"]["state"] == "idle" and info["precision"] in ("fp32", "bf16")
    with live.client("admin") as admin:
        r = admin.post("/v1/embedder/reload")
    assert r.status_code == 200 and r.json()["switch"]["state"] == "idle"
    with live.client() as anyone:
        health = anyone.get("/health").json()
    assert health["model"]["version"] == "base" and health["model"]["switch"]["state"] == "idle"


def test_erase_after_erase_of_the_newest_person_over_http(live):
    """The bug that made a person impossible to erase: the newest rowid reused after an
    erasure, and the second erasure's tombstone clashing with the first (HTTP 500)."""
    with live.client("werkcoach") as wc, live.client("admin") as admin:
        for pid in ("WZ-NEWEST1", "WZ-NEWEST2"):
            assert wc.post("/v1/jobseekers", json=body(jobseeker(id=pid))).status_code == 201
            assert admin.delete(f"/v1/jobseekers/{pid}").status_code == 204
            assert wc.get(f"/v1/jobseekers/{pid}").status_code == 404
    store, index = live.matcher.store, live.matcher.serving.indexer.index(Kind.JOBSEEKERS)
    assert store.rowid(Kind.JOBSEEKERS, "WZ-NEWEST2") is None
    assert len(index) == store.count(Kind.JOBSEEKERS)
