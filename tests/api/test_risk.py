"""Risk, segment override and indicators over real HTTP: roles, caseload scope, audit, 4xx."""

from __future__ import annotations

import datetime as dt

import pytest

from matching.geo import geography
from matching.records import Kind
from training.train_risk import train_risk


@pytest.fixture(scope="module")
def people(live) -> tuple[str, str]:
    """A risk model served, and (a person of the werkcoach's caseload, one of another)."""
    train_risk(live.matcher)
    geo, home = geography(), set(live.users["werkcoach"].regions)
    mine = other = None
    for _, js in live.matcher.store.iter_records(Kind.JOBSEEKERS):
        in_home = geo.region_of(js.postcode) in home
        mine = mine or (js.id if in_home else None)
        other = other or (js.id if not in_home else None)
    return mine, other


def _audit(live, jobseeker_id: str) -> list[dict]:
    return live.matcher.store.ledger.audit_rows(limit=20, jobseeker_id=jobseeker_id)


def test_a_werkcoach_reads_the_explained_risk_of_their_caseload(live, people):
    mine, _ = people
    with live.client("werkcoach") as c:
        r = c.get(f"/v1/jobseekers/{mine}/risk", headers={"X-Purpose": "intake gesprek"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert 0 < body["risk"] < 1 and body["segment_source"] == "model"
    total = body["base"] + sum(c["contribution"] for c in body["contributions"])
    assert total == pytest.approx(body["logit"], abs=1e-9)
    assert body["phase"] in {"0-3 maanden", "3-6 maanden", "6-12 maanden", "meer dan 12 maanden"}
    assert all(c["reason"] for c in body["contributions"])
    entry = _audit(live, mine)[0]
    assert entry["endpoint"] == "GET /v1/jobseekers/{jobseeker_id}/risk"
    assert entry["purpose"] == "intake gesprek" and entry["allowed"]


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("werkcoach", "other", 403),
        ("matchmaker", "mine", 403),
        ("datascientist", "mine", 403),
        ("admin", "mine", 403),
        ("werkcoach", "WZ-UNKNOWN", 404),
    ],
)
def test_risk_is_need_to_know(live, people, role, target, status):
    person = {"mine": people[0], "other": people[1]}.get(target, target)
    with live.client(role) as c:
        r = c.get(f"/v1/jobseekers/{person}/risk")
    assert r.status_code == status
    assert r.json()["detail"][0]["field"] and r.json()["detail"][0]["reason"]
    if status == 403:  # audited: a role refusal names no one (it is refused before the path)
        (entry,) = live.matcher.store.ledger.audit_rows(limit=1)
        assert entry["allowed"] is False
        assert entry["endpoint"] == "GET /v1/jobseekers/{jobseeker_id}/risk"


def test_an_override_is_kept_audited_and_shown_in_later_reads(live, people):
    mine, other = people
    body = {"segment": "intensief", "reason": "schulden en zorgtaken, eerst intensief"}
    with live.client("werkcoach") as c:
        r = c.put(f"/v1/jobseekers/{mine}/segment", json=body)
        later = c.get(f"/v1/jobseekers/{mine}/risk")
        refused = c.put(f"/v1/jobseekers/{other}/segment", json=body)
    assert r.status_code == 200, r.text
    read = later.json()
    assert read["segment"] == "intensief" and read["segment_source"] == "werkcoach"
    assert read["override"]["reason"] == body["reason"]
    assert read["override"]["user_id"] == live.users["werkcoach"].user_id
    audited = [e for e in _audit(live, mine) if e["endpoint"].startswith("PUT")]
    assert audited[0]["purpose"] == f"segment intensief: {body['reason']}"
    assert refused.status_code == 403
    assert live.matcher.segments([mine])[mine]["source"] == "werkcoach"


@pytest.mark.parametrize(
    "body",
    [
        {"segment": "zwaar", "reason": "omdat"},
        {"segment": "digitaal"},
        {"segment": "digitaal", "reason": "  "},
    ],
)
def test_a_bad_override_is_a_422(live, people, body):
    with live.client("werkcoach") as c:
        r = c.put(f"/v1/jobseekers/{people[0]}/segment", json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["field"]


def test_a_placement_through_the_api_is_an_exit_to_work(live, people):
    store = live.matcher.store
    vacancy_id, person = store.ids(Kind.VACANCIES)[0], people[1]
    body = {"vacancy_id": vacancy_id, "jobseeker_id": person, "outcome": "placed"}
    with live.client("matchmaker") as c:
        assert c.post("/v1/outcomes", json=body).status_code == 201
    api_exits = [
        e
        for e in store.history.events_of(person)
        if e["event"] == "exit_work" and e["source"].startswith("api:")
    ]
    assert [(e["vacancy_id"], e["on"]) for e in api_exits] == [(vacancy_id, dt.date.today())]


def test_indicators_are_aggregates_with_small_cells_suppressed(live, people):
    k = live.matcher.settings.indicator_min_cell
    with live.client("datascientist") as c:
        r = c.get("/v1/indicators")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["min_cell"] == k and body["arbeidsuitstroom"]
    for cell in body["arbeidsuitstroom"]:
        assert (cell["exits"] is None) == cell["suppressed"]
        assert cell["exits"] is None or cell["exits"] >= k
    for cell in body["target_groups"]:
        assert cell["suppressed"] or (cell["people"] >= k and cell["exits"] >= k)
    assert "WZ-" not in r.text


@pytest.mark.parametrize(
    ("role", "query", "status"),
    [
        ("werkcoach", "", 403),
        ("datascientist", "?period=2026-13", 422),
        ("datascientist", "?region=Rijnmond", 422),
        ("admin", "?period=2027", 200),
    ],
)
def test_indicator_access_and_parameters(live, people, role, query, status):
    with live.client(role) as c:
        r = c.get(f"/v1/indicators{query}")
    assert r.status_code == status
    if status != 200:
        assert r.json()["detail"][0]["reason"]
