"""Finding vacancies and a caseload over HTTP: filters, paging, sorting, bad parameters (422
with field and reason) and scope (a werkcoach lists only their own and their team's people)."""

from __future__ import annotations

import pytest

from matching.geo import geography
from matching.records import Kind


def _vacancies(live, **params) -> dict:
    with live.client("matchmaker") as c:
        r = c.get("/v1/vacancies", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_vacancies_are_paged_with_count_and_newest_first(live):
    total = live.matcher.store.count(Kind.VACANCIES)
    first = _vacancies(live, per_page=10)
    assert first["count"] == total and first["pages"] == -(-total // 10)
    assert len(first["data"]) == 10 and first["page"] == 1
    dates = [v["posted_date"] for v in first["data"]]
    assert dates == sorted(dates, reverse=True)
    second = _vacancies(live, per_page=10, page=2)
    assert not {v["id"] for v in first["data"]} & {v["id"] for v in second["data"]}
    beyond = _vacancies(live, per_page=10, page=first["pages"] + 1)
    assert beyond["data"] == [] and beyond["count"] == total


def test_vacancy_filters_narrow_the_list(live):
    store, geo = live.matcher.store, geography()
    sample = store.get(Kind.VACANCIES, "VAC-000001")
    word = sample.title.split()[0].lower()
    found = _vacancies(live, q=word.upper(), per_page=100)
    assert found["count"] >= 1 and "VAC-000001" in {v["id"] for v in found["data"]}
    assert all(word in (v["title"] + v["employer"] + v["id"]).lower() for v in found["data"])
    region = geo.region_of(sample.postcode)
    in_region = _vacancies(live, region=region, per_page=100)
    assert in_region["count"] >= 1 and {v["region"] for v in in_region["data"]} == {region}
    closed = _vacancies(live, status="closed", per_page=100)
    assert {v["status"] for v in closed["data"]} <= {"closed"}
    opened = _vacancies(live, status="open", per_page=1)
    assert opened["count"] + closed["count"] == store.count(Kind.VACANCIES)
    isco = next(v["occupation"]["isco"] for v in found["data"] if v["occupation"]["isco"])
    by_group = _vacancies(live, occupation=isco[:2], per_page=100)
    assert by_group["count"] >= 1
    assert all(v["occupation"]["isco"].startswith(isco[:2]) for v in by_group["data"])
    assert _vacancies(live, q="%_nothing-like-this")["count"] == 0  # wildcards are literal


def test_vacancies_sort_by_title_both_ways(live):
    up = [v["title"].lower() for v in _vacancies(live, sort="title", per_page=50)["data"]]
    down = [v["title"].lower() for v in _vacancies(live, sort="-title", per_page=50)["data"]]
    assert up == sorted(up) and down == sorted(down, reverse=True)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
        ({"per_page": 101}, "per_page"),
        ({"region": "Rijnmond"}, "region"),
        ({"region": "AM99"}, "region"),
        ({"status": "half"}, "status"),
        ({"sort": "salary"}, "sort"),
        ({"occupation": "kok"}, "occupation"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_vacancy_parameters_are_422_with_field_and_reason(live, params, field):
    with live.client("accountmanager") as c:
        r = c.get("/v1/vacancies", params=params)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["field"] == field and detail[0]["reason"]


def _caseload(live, who: str, **params):
    with live.client(who) as c:
        return c.get("/v1/jobseekers", params=params)


def test_a_werkcoach_lists_only_their_caseload_without_names(live):
    store = live.matcher.store
    coach = live.users["werkcoach"]
    r = _caseload(live, "werkcoach", per_page=100)
    assert r.status_code == 200, r.text
    body = r.json()
    ids = [p["id"] for p in body["data"]]
    assert body["count"] == len(store.directory.serves(coach, store.ids(Kind.JOBSEEKERS)))
    assert ids and set(store.directory.serves(coach, ids)) == set(ids)
    assert "WZ-0000001" in ids or body["pages"] > 1
    other = {p["id"] for p in _caseload(live, "werkcoach_other", per_page=100).json()["data"]}
    assert other and not other & set(ids)
    fields = set(body["data"][0])
    assert not fields & {"cv_text", "postcode", "benefit", "age_band", "skills"}
    with live.client("admin") as admin:
        logged = admin.get("/v1/audit", params={"limit": 5}).json()["data"]
    assert any(
        e["endpoint"] == "GET /v1/jobseekers" and set(e["jobseeker_ids"]) == set(ids)
        for e in logged
    )


def test_caseload_filters_by_phase_and_text(live):
    long = _caseload(live, "werkcoach", phase=3, per_page=100).json()
    assert all(p["months_unemployed"] >= 12 for p in long["data"])
    assert all(p["phase"] == "meer dan 12 maanden" for p in long["data"])
    first = _caseload(live, "werkcoach", per_page=1).json()["data"][0]
    word = first["desired_occupation"].split()[0]
    found = _caseload(live, "werkcoach", q=word, per_page=100).json()["data"]
    assert first["id"] in {p["id"] for p in found}
    ranked = _caseload(live, "werkcoach", sort="-months_unemployed", per_page=50).json()["data"]
    months = [p["months_unemployed"] for p in ranked]
    assert months == sorted(months, reverse=True)


def test_caseload_refusals_and_bad_parameters(live):
    assert _caseload(live, "werkcoach_alone").json()["count"] == 0  # a caseload of none yet
    for who in ("matchmaker", "accountmanager", "admin", "datascientist"):
        assert _caseload(live, who).status_code == 403
    for params, field in (({"phase": 4}, "phase"), ({"sort": "name"}, "sort")):
        r = _caseload(live, "werkcoach", **params)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == field
