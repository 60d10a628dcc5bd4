"""The workspace over real HTTP (no browser): sign-in and sessions, CSRF, roles and scopes as
in the API, audit records with the chosen purpose, outcomes through the API's code, and the
employer's summary without what the employer may not see. `test_browser.py` drives the same
pages in Chromium."""

from __future__ import annotations

import re
from contextlib import contextmanager

import httpx
import pytest

from api.web.filters import ShortlistFilters
from eval.bench_http import tls
from matching.geo import geography
from matching.records import Kind

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@contextmanager
def signed_in(live, who: str):
    """A client with a workspace session for the key of `who`."""
    with httpx.Client(base_url=live.url, timeout=120, verify=tls()) as c:
        form = c.get("/werkplek/inloggen")
        token = CSRF.search(form.text).group(1)
        r = c.post("/werkplek/inloggen", data={"csrf": token, "sleutel": live.keys[who]})
        assert r.status_code == 303 and r.headers["location"] == "/werkplek/", r.text
        yield c


def _csrf(page: httpx.Response) -> str:
    return CSRF.search(page.text).group(1)


def _vacancy_in_regions(live) -> str:
    geo, regions = geography(), set(live.users["matchmaker"].regions)
    return next(
        v.id
        for _, v in live.matcher.store.iter_records(Kind.VACANCIES)
        if geo.region_of(v.postcode) in regions and v.status.value == "open"
    )


def test_no_page_without_a_session(live):
    with httpx.Client(base_url=live.url, verify=tls()) as c:
        for path in ("/werkplek/", "/werkplek/vacatures", "/werkplek/arbeidsmarkt"):
            r = c.get(path)
            assert r.status_code == 303
            assert r.headers["location"].startswith("/werkplek/inloggen?volgende=")
        assert c.get("/", follow_redirects=True).url.path == "/werkplek/inloggen"


def test_sign_in_sets_a_strict_httponly_cookie_without_personal_data(live):
    with httpx.Client(base_url=live.url, verify=tls()) as c:
        token = _csrf(c.get("/werkplek/inloggen"))
        wrong = c.post("/werkplek/inloggen", data={"csrf": token, "sleutel": "wm_nope.nope"})
        assert wrong.status_code == 401 and "onbekend" in wrong.text
        token = _csrf(wrong)
        r = c.post("/werkplek/inloggen", data={"csrf": token, "sleutel": live.keys["matchmaker"]})
        cookie = next(h for h in r.headers.get_list("set-cookie") if "werkmatch_sessie" in h)
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/werkplek" in cookie
        assert "Secure" not in cookie  # plain HTTP, not configured: see the Secure test
        value = c.cookies["werkmatch_sessie"]
        assert live.keys["matchmaker"] not in value and "mm-test" not in value


def test_sign_in_without_its_csrf_token_is_refused(live):
    with httpx.Client(base_url=live.url, verify=tls()) as c:
        c.get("/werkplek/inloggen")
        r = c.post("/werkplek/inloggen", data={"sleutel": live.keys["matchmaker"]})
    assert r.status_code == 403 and "werkmatch_sessie" not in r.headers.get("set-cookie", "")


def test_a_form_without_its_csrf_token_is_refused_and_audited(live):
    vid = _vacancy_in_regions(live)
    with signed_in(live, "matchmaker") as c:
        body = {"vacancy_id": vid, "jobseeker_id": "WZ-0000001", "outcome": "invited"}
        assert c.post("/werkplek/uitkomsten", data=body).status_code == 403
        assert c.post("/werkplek/uitkomsten", data=body | {"csrf": "fout"}).status_code == 403
        assert c.post("/werkplek/uitloggen").status_code == 403  # sign-out is a form too
        assert c.get("/werkplek/").status_code == 200  # still signed in
    refused = live.matcher.store.ledger.audit_rows(limit=5)
    assert any(e["purpose"] == "form without a valid CSRF token" for e in refused)


def test_sign_out_ends_the_session_on_the_server(live):
    with signed_in(live, "matchmaker") as c:
        start = c.get("/werkplek/")
        stolen = c.cookies["werkmatch_sessie"]
        assert c.post("/werkplek/uitloggen", data={"csrf": _csrf(start)}).status_code == 303
    with httpx.Client(base_url=live.url, cookies={"werkmatch_sessie": stolen}, verify=tls()) as c:
        assert c.get("/werkplek/").status_code == 303  # the old cookie opens nothing


def test_a_revoked_key_ends_its_sessions(live):
    made = live.matcher.store.ledger.create_key("matchmaker", "web", "mm-test")
    live.keys["revoked"] = made.key
    with signed_in(live, "revoked") as c:
        assert c.get("/werkplek/vacatures").status_code == 200
        live.matcher.store.ledger.revoke_key(made.key_id)
        assert c.get("/werkplek/vacatures").status_code == 303


PAGES = [  # path (vacancy and person filled in), roles that may open it
    ("/werkplek/vacatures", {"matchmaker", "accountmanager"}),
    ("/werkplek/vacatures/{vid}/shortlist?doel=test", {"matchmaker"}),
    ("/werkplek/vacatures/{vid}/fit/WZ-0000001?doel=test", {"matchmaker", "accountmanager"}),
    ("/werkplek/caseload", {"werkcoach"}),
    ("/werkplek/arbeidsmarkt", {"datascientist", "admin"}),
    ("/werkplek/model", {"datascientist", "admin"}),
]


@pytest.mark.parametrize(("path", "allowed"), PAGES)
@pytest.mark.parametrize(
    "who", ["matchmaker", "accountmanager", "werkcoach", "datascientist", "admin"]
)
def test_pages_follow_the_api_roles(live, who, path, allowed):
    with signed_in(live, who) as c:
        r = c.get(path.format(vid=_vacancy_in_regions(live)))
    assert r.status_code == (200 if who in allowed else 403), r.text[:300]
    if r.status_code == 403:
        assert "Geen toegang" in r.text and "may not" in r.text


def test_pages_follow_the_api_scopes(live):
    geo, regions = geography(), set(live.users["matchmaker_far"].regions)
    vid = _vacancy_in_regions(live)
    assert geo.region_of(live.matcher.get(Kind.VACANCIES, vid).postcode) not in regions
    with signed_in(live, "matchmaker_far") as c:
        r = c.get(f"/werkplek/vacatures/{vid}/shortlist?doel=test")
    assert r.status_code == 403 and "not in your regions" in r.text


def test_the_shortlist_asks_why_and_audits_with_that_purpose(live):
    vid = _vacancy_in_regions(live)
    with signed_in(live, "matchmaker") as c:
        ask = c.get(f"/werkplek/vacatures/{vid}/shortlist")
        assert ask.status_code == 200 and 'name="doel"' in ask.text
        assert "WZ-" not in ask.text  # nobody's data before the purpose
        r = c.get(
            f"/werkplek/vacatures/{vid}/shortlist",
            params={"doel": "voorstel aan werkgever", "max_km": "15", "aantal": "10"},
        )
    assert r.status_code == 200
    shown = set(re.findall(r'id="kandidaat-([^"]+)"', r.text))
    entry = live.matcher.store.ledger.audit_rows(limit=1)[0]
    assert entry["purpose"] == "voorstel aan werkgever"
    assert entry["endpoint"] == "GET /werkplek/vacatures/{vacancy_id}/shortlist"
    assert set(entry["jobseeker_ids"]) == shown and 0 < len(shown) <= 10
    overrides = ShortlistFilters(max_km=15, k=10).overrides()
    api = live.matcher.shortlist(vid, k=10, overrides=overrides)
    assert [m.id for m in api.items] == re.findall(r'id="kandidaat-([^"]+)"', r.text)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_km": "ver"}, "max_km"),
        ({"min_uren": "99"}, "min_uren"),
        ({"rijbewijs_gekozen": "1", "rijbewijs": "Z"}, "rijbewijs"),
        ({"regio": "AM99"}, "regio"),
        ({"aantal": "7"}, "aantal"),
    ],
)
def test_bad_filters_answer_a_page_that_says_which(live, params, field):
    vid = _vacancy_in_regions(live)
    with signed_in(live, "matchmaker") as c:
        r = c.get(f"/werkplek/vacatures/{vid}/shortlist", params={"doel": "test"} | params)
    assert r.status_code == 422 and f"<strong>{field}</strong>" in r.text


def test_an_outcome_goes_through_the_api_code_into_the_training_data(live):
    vid = _vacancy_in_regions(live)
    with signed_in(live, "matchmaker") as c:
        page = c.get(f"/werkplek/vacatures/{vid}/shortlist", params={"doel": "test"})
        person = re.findall(r'id="kandidaat-([^"]+)"', page.text)[0]
        form = {"csrf": _csrf(page), "vacancy_id": vid, "jobseeker_id": person}
        form |= {"outcome": "rejected", "reden": "reisafstand te groot"}
        r = c.post("/werkplek/uitkomsten", data=form | {"terug": "https://elders.example/"})
        assert r.status_code == 303 and r.headers["location"].startswith("/werkplek/vacatures/")
        partial = c.post("/werkplek/uitkomsten", data=form, headers={"HX-Request": "true"})
        assert "Vastgelegd: afgewezen" in partial.text
        bad = c.post("/werkplek/uitkomsten", data=form | {"outcome": "misschien"})
        assert bad.status_code == 422 and "outcome" in bad.text
    rows = [r for r in live.matcher.store.ledger.outcome_rows() if r["jobseeker_id"] == person]
    assert rows[-1]["outcome"] == "rejected" and rows[-1]["reason"] == "reisafstand te groot"
    assert rows[-1]["source"].startswith("web:")


def test_the_employer_summary_leaves_out_what_the_employer_may_not_see(live):
    vid = _vacancy_in_regions(live)
    person = live.matcher.get(Kind.JOBSEEKERS, "WZ-0000001")
    with signed_in(live, "accountmanager") as c:
        fit = c.get(f"/werkplek/vacatures/{vid}/fit/WZ-0000001", params={"doel": "gesprek"})
        assert fit.status_code == 200 and "Wat ontbreekt" in fit.text and 'id="rang"' in fit.text
        summary = c.get(f"/werkplek/vacatures/{vid}/fit/WZ-0000001/samenvatting?doel=gesprek")
    assert summary.status_code == 200 and "Wat past" in summary.text
    text = summary.text
    region = geography().region_names[geography().region_of(person.postcode)]
    assert "WZ-0000001" not in text and person.postcode not in text
    assert "Werkzoekend sinds" not in text and " km" not in text and region not in text
    assert "score" not in text.lower()
    assert live.matcher.store.ledger.audit_rows(limit=1)[0]["jobseeker_ids"] == ["WZ-0000001"]


def test_the_caseload_lists_only_the_werkcoachs_people_and_is_audited(live):
    from training.train_risk import train_risk

    train_risk(live.matcher)  # the segment column reads the served risk model
    coach = live.users["werkcoach"]
    with signed_in(live, "werkcoach") as c:
        r = c.get("/werkplek/caseload", params={"fase": "3"})
        assert c.get("/werkplek/caseload", params={"fase": "9"}).status_code == 422
    shown = re.findall(r"<td>(WZ-\d+)</td>", r.text)
    assert shown and live.matcher.store.directory.serves(coach, shown) == set(shown)
    segments = live.matcher.segments(shown)
    assert '<th scope="col">Dienstverlening</th>' in r.text
    for jobseeker_id in shown:  # each row shows that person's segment and risk
        (row,) = re.findall(rf"<tr><td>{jobseeker_id}</td>.*?</tr>", r.text)
        got = segments[jobseeker_id]
        by = "door werkcoach; " if got["source"] == "werkcoach" else ""
        assert f"<td>{got['segment']} ({by}risico {round(100 * got['risk'])}%)</td>" in row
    entry = live.matcher.store.ledger.audit_rows(limit=1)[0]
    assert entry["endpoint"] == "GET /werkplek/caseload" and set(entry["jobseeker_ids"]) == set(
        shown
    )


def test_labour_market_and_model_pages_show_figures(live):
    with signed_in(live, "datascientist") as c:
        market = c.get("/werkplek/arbeidsmarkt")
        assert market.status_code == 200 and market.text.count("<circle") > 4000
        assert 'id="schaars"' in market.text and "zeer krap" in market.text
        assert c.get("/werkplek/arbeidsmarkt?beroepsgroep=xx").status_code == 422
        model = c.get("/werkplek/model")
        assert model.status_code == 200 and 'id="ranker"' in model.text
        assert "herladen" not in model.text  # reload is for admins
    with signed_in(live, "admin") as c:
        page = c.get("/werkplek/model")
        r = c.post("/werkplek/model/herladen", data={"csrf": _csrf(page)})
        assert r.status_code == 303 and "herladen=1" in r.headers["location"]


def test_secure_cookies_when_configured(
    ranked_home, tmp_path_factory, model_dir, embedder, postgres
):
    from tests.api.conftest import serve_copy

    with (
        serve_copy(
            ranked_home[0], tmp_path_factory, model_dir, embedder, postgres, secure_cookies=True
        ) as server,
        httpx.Client(base_url=server.url, verify=tls()) as c,
    ):
        r = c.get("/werkplek/inloggen")
    assert "Secure" in r.headers["set-cookie"]


@pytest.mark.parametrize(
    ("who", "path", "field"),
    [
        ("matchmaker", "/werkplek/vacatures?pagina=²", "pagina"),
        ("matchmaker", "/werkplek/vacatures?status=half", "status"),
        ("matchmaker", "/werkplek/vacatures?regio=Rijnmond", "region"),
        ("matchmaker", "/werkplek/vacatures?sorteer=salaris", "sort"),
        ("werkcoach", "/werkplek/caseload?fase=²", "fase"),
        ("werkcoach", "/werkplek/caseload?pagina=0", "pagina"),
    ],
)
def test_bad_page_parameters_answer_422_pages(live, who, path, field):
    with signed_in(live, who) as c:
        r = c.get(path)
    assert r.status_code == 422 and f"<strong>{field}</strong>" in r.text


def test_page_bench_times_the_shortlist_page_on_a_copy(ranked_home, model_dir):
    from api.web.timing import time_pages
    from matching.config import Settings
    from matching.store import Store

    home = ranked_home[0]
    settings = Settings(home=home, model_dir=model_dir)
    audit_before = Store(settings.db_url).ledger.audit_rows(limit=1000)
    figures = time_pages(settings, vacancies=2)
    for label in ("first", "second"):
        got = figures[label]
        assert 0 < got["median_ms"] <= got["p90_ms"] <= got["max_ms"]
    assert figures["ranker"].startswith("boosted_gam")
    assert Store(settings.db_url).ledger.audit_rows(limit=1000) == audit_before  # a copy only
    with pytest.raises(ValueError, match="copies a data directory"):
        time_pages(Settings(home=home, model_dir=model_dir, database_url="sqlite:///x.db"))


def test_lists_link_to_their_previous_and_next_pages(live):
    with signed_in(live, "matchmaker") as c:
        first = c.get("/werkplek/vacatures").text
        second = c.get("/werkplek/vacatures", params={"pagina": "2"}).text
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and "pagina=1" in second and "pagina=3" in second
