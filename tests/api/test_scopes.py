"""Need-to-know over real HTTP: each role reaches only its own caseload, region or vacancies;
every refusal is a 403 that says why and is audited. `test_roles.py` checks what a role may
do at all; this checks, operation by operation, *whom* it may do it to."""

from __future__ import annotations

import pytest

from matching.geo import geography
from matching.records import Kind
from tests.factories import jobseeker, vacancy


def _ids(live):
    """(a person of the werkcoach's caseload, one of another caseload, a vacancy in the
    matchmaker's regions, one outside them, a postcode outside them)."""
    geo, store = geography(), live.matcher.store
    home = set(live.users["werkcoach"].regions)
    mine = other = None
    for _, js in store.iter_records(Kind.JOBSEEKERS):
        region = geo.region_of(js.postcode)
        mine = mine or (js.id if region in home else None)
        other = other or (js.id if region not in home else None)
    regions = set(live.users["matchmaker"].regions)
    inside = outside = None
    for _, v in store.iter_records(Kind.VACANCIES):
        inside = inside or (v.id if geo.region_of(v.postcode) in regions else None)
        outside = outside or (v.id if geo.region_of(v.postcode) not in regions else None)
    far_pc4 = next(p for p in geo.table["pc4"].to_list() if geo.region_of(p) not in regions)
    return mine, other, inside, outside, far_pc4


def body(record) -> dict:
    return record.model_dump(mode="json")


CASES = [  # (key name, method, path (ids filled in), json body builder, expected status)
    ("werkcoach", "GET", "/v1/jobseekers/{mine}", None, 200),
    ("werkcoach", "GET", "/v1/jobseekers/{other}", None, 403),
    ("werkcoach", "PUT", "/v1/jobseekers/{other}", "person:{other}", 403),
    ("werkcoach", "GET", "/v1/jobseekers/{mine}/vacancies", None, 200),
    ("werkcoach", "GET", "/v1/jobseekers/{other}/vacancies", None, 403),
    ("werkcoach_other", "GET", "/v1/jobseekers/{other}", None, 200),
    ("werkcoach_other", "GET", "/v1/jobseekers/{mine}", None, 403),
    ("werkcoach_alone", "GET", "/v1/jobseekers/{mine}", None, 403),
    ("matchmaker", "GET", "/v1/vacancies/{inside}/shortlist", None, 200),
    ("matchmaker", "GET", "/v1/vacancies/{outside}/shortlist", None, 403),
    ("matchmaker", "GET", "/v1/vacancies/{inside}/fit/{other}", None, 200),
    ("matchmaker", "GET", "/v1/vacancies/{outside}/fit/{mine}", None, 403),
    ("matchmaker", "POST", "/v1/outcomes", "outcome:{outside}:{mine}", 403),
    ("matchmaker", "POST", "/v1/outcomes", "outcome:{inside}:{mine}", 201),
    ("matchmaker_far", "GET", "/v1/vacancies/{inside}/shortlist", None, 403),
    ("accountmanager", "GET", "/v1/vacancies/{inside}/fit/{mine}", None, 200),
    ("accountmanager", "GET", "/v1/vacancies/{outside}/fit/{mine}", None, 403),
    ("accountmanager", "POST", "/v1/vacancies", "vacancy:far", 403),
    ("accountmanager", "PUT", "/v1/vacancies/{outside}", "vacancy:{outside}", 403),
    ("accountmanager", "DELETE", "/v1/vacancies/{outside}", None, 403),
    ("accountmanager_far", "GET", "/v1/vacancies/{inside}/fit/{mine}", None, 403),
    ("accountmanager_far", "POST", "/v1/vacancies", "vacancy:home", 403),
    ("datascientist", "GET", "/v1/jobseekers/{mine}", None, 403),
    ("admin", "GET", "/v1/jobseekers/{mine}", None, 403),  # admins erase and audit, not read
]


def _payload(spec: str | None, ids: dict) -> dict | None:
    if spec is None:
        return None
    kind, *args = spec.format(**ids).split(":")
    if kind == "person":
        return body(jobseeker(id=args[0]))
    if kind == "outcome":
        return {"vacancy_id": args[0], "jobseeker_id": args[1], "outcome": "invited"}
    if args[0] in ("far", "home"):
        pc4 = ids["far_pc4"] if args[0] == "far" else vacancy().postcode
        return body(vacancy(id=f"VAC-SCOPE-{args[0]}", postcode=pc4))
    return body(vacancy(id=args[0]))


@pytest.mark.parametrize(("who", "method", "path", "spec", "expected"), CASES)
def test_scope_matrix(live, who, method, path, spec, expected):
    names = ("mine", "other", "inside", "outside", "far_pc4")
    ids = dict(zip(names, _ids(live), strict=True))
    with live.client(who) as c:
        r = c.request(method, path.format(**ids), json=_payload(spec, ids))
    assert r.status_code == expected, r.text
    if expected == 403:
        reason = r.json()["detail"][0]["reason"]
        assert reason and r.json()["detail"][0]["field"] == "Authorization"
        with live.client("admin") as admin:
            refused = admin.get("/v1/audit", params={"limit": 5}).json()["data"]
        assert any(e["allowed"] is False and e["purpose"] == reason for e in refused)


def test_a_matchmaker_must_say_why(live):
    _, _, inside, _, _ = _ids(live)
    with live.client("matchmaker") as c:
        r = c.get(f"/v1/vacancies/{inside}/shortlist", headers={"X-Purpose": ""})
    assert r.status_code == 403 and "X-Purpose" in r.json()["detail"][0]["reason"]


def test_a_new_person_joins_the_creators_caseload_only(live):
    with live.client("werkcoach_alone") as alone, live.client("werkcoach") as coach:
        assert alone.post("/v1/jobseekers", json=body(jobseeker(id="WZ-ALONE"))).status_code == 201
        assert alone.get("/v1/jobseekers/WZ-ALONE").status_code == 200
        assert coach.get("/v1/jobseekers/WZ-ALONE").status_code == 403
        csv = "id,desired_occupation,education,postcode,hours_per_week\n"
        csv += "WZ-ALONE,kok,mbo2,3011,32\nWZ-ALONE2,kok,mbo2,3011,32\n"
        r = coach.post("/v1/jobseekers/bulk?format=csv", content=csv)
        assert r.json()["stored"] == 1  # WZ-ALONE is another caseload's: refused by row
        assert r.json()["errors"] == [
            {"row": 1, "field": "id", "reason": "exists in another caseload"}
        ]
        assert coach.get("/v1/jobseekers/WZ-ALONE2").status_code == 200
    with live.client("admin") as admin:
        for pid in ("WZ-ALONE", "WZ-ALONE2"):
            assert admin.delete(f"/v1/jobseekers/{pid}").status_code == 204


def test_an_account_manager_bulk_upload_refuses_vacancies_of_other_regions(live):
    *_, far_pc4 = _ids(live)
    home = vacancy().postcode
    csv = "id,employer,title,postcode,hours_min,hours_max\n"
    csv += f"VAC-B-HOME,X,kok,{home},20,30\nVAC-B-FAR,X,kok,{far_pc4},20,30\n"
    with live.client("accountmanager") as am:
        r = am.post("/v1/vacancies/bulk?format=csv", content=csv).json()
        assert r["stored"] == 1 and r["errors"][0]["row"] == 2
        assert "not in your regions" in r["errors"][0]["reason"]
        assert am.delete("/v1/vacancies/VAC-B-HOME").status_code == 204
