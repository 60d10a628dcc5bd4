"""The workspace driven in headless Chromium (Debian's `chromium` and `chromium-driver`) with
Selenium, against a uvicorn server over a copy of the ranked world: the matchmaker's day (sign
in, search, shortlist, filter, outcome, fit check, employer summary, sign out), the data
scientist's labour-market and model pages, and the denials. A screenshot of every page is
saved in var/test-artifacts/ (left there after the run)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from matching.geo import geography
from matching.records import Kind
from tests.api.conftest import Live, serve_copy

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
NAVIGATED_AWAY = "does not belong to the document"  # chromedriver, on a node of a replaced page

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()),
    reason="no /usr/bin/chromium or /usr/bin/chromedriver: apt-get install chromium "
    "chromium-driver (.ci/run does)",
)


@pytest.fixture(scope="module")
def site(ranked_home, tmp_path_factory, model_dir, embedder, postgres) -> Iterator[Live]:
    with serve_copy(ranked_home[0], tmp_path_factory, model_dir, embedder, postgres) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=nl"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,1100")
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait(driver, condition, seconds: float = 60):
    """Wait for `condition`, retrying when a navigation replaced the node it was reading."""
    return WebDriverWait(driver, seconds).until(_across_navigation(condition))


def _across_navigation(condition):
    def check(driver):
        try:
            return condition(driver)
        except WebDriverException as error:  # the old page's node, read after the new page came
            if NAVIGATED_AWAY in str(error.msg):
                return False
            raise

    return check


def shot(driver, name: str) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, max(1100, min(int(height) + 40, 6000)))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.set_window_size(1280, 1100)


def sign_in(driver, site: Live, who: str) -> None:
    driver.get(f"{site.url}/werkplek/")
    wait(driver, ec.presence_of_element_located((By.ID, "sleutel")))
    driver.find_element(By.ID, "sleutel").send_keys(site.keys[who])
    driver.find_element(By.ID, "inloggen").click()
    wait(driver, ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Welkom"))


def sign_out(driver) -> None:
    driver.find_element(By.ID, "uitloggen").click()
    wait(driver, ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "U bent uitgelogd"))


def _vacancy(site: Live):
    geo, regions = geography(), set(site.users["matchmaker"].regions)
    return next(
        v
        for _, v in site.matcher.store.iter_records(Kind.VACANCIES)
        if geo.region_of(v.postcode) in regions and v.status.value == "open"
    )


def _candidates(driver) -> list[str]:
    items = driver.find_elements(By.CSS_SELECTOR, "li.candidate")
    return [i.get_attribute("id").removeprefix("kandidaat-") for i in items]


def _distances(driver) -> list[int]:
    """The km shown per candidate (rounded up, as the cap is a whole number)."""
    shown = driver.find_elements(By.CSS_SELECTOR, "li.candidate .who")
    return [
        -int(-float(re.search(r"([\d.,]+) km", e.text).group(1).replace(",", "."))) for e in shown
    ]


def test_a_matchmakers_day(site, browser):
    d, vacancy = browser, _vacancy(site)
    d.get(f"{site.url}/werkplek/vacatures")  # no session yet: to the sign-in page
    wait(d, ec.presence_of_element_located((By.ID, "sleutel")))
    shot(d, "01-inloggen")
    assert d.switch_to.active_element.get_attribute("id") == "sleutel"  # by keyboard alone
    d.switch_to.active_element.send_keys(site.keys["matchmaker"], Keys.ENTER)
    wait(d, ec.presence_of_element_located((By.ID, "q")))  # back where the user was going
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert d.switch_to.active_element.get_attribute("class") == "skip"
    d.find_element(By.ID, "q").send_keys(vacancy.title)
    Select(d.find_element(By.ID, "regio")).select_by_value(geography().region_of(vacancy.postcode))
    old = d.find_element(By.ID, "resultaten")
    d.find_element(By.ID, "zoeken").click()
    wait(d, ec.staleness_of(old))
    wait(d, ec.text_to_be_present_in_element((By.ID, "resultaten"), vacancy.id))
    assert "q=" in d.current_url  # htmx pushed the search into the address
    shot(d, "02-vacatures")

    d.find_element(By.CSS_SELECTOR, f'a[href$="/vacatures/{vacancy.id}/shortlist"]').click()
    wait(d, ec.presence_of_element_located((By.ID, "doel"))).send_keys("voorstel aan werkgever")
    shot(d, "03-doel")
    d.find_element(By.ID, "doel-verder").click()
    wait(d, ec.presence_of_element_located((By.CSS_SELECTOR, "li.candidate")))
    first = _candidates(d)
    d.find_element(By.CSS_SELECTOR, "li.candidate details summary").click()
    assert d.find_element(By.CSS_SELECTOR, "li.candidate svg.waterfall").is_displayed()
    shot(d, "04-shortlist")

    cap = sorted(_distances(d))[len(first) // 2]  # half the list lives farther away
    field = d.find_element(By.ID, "max_km")
    field.clear()
    field.send_keys(str(cap))
    old = d.find_element(By.ID, "uitslag")
    d.find_element(By.ID, "filteren").click()
    wait(d, ec.staleness_of(old))
    wait(d, lambda drv: f"max_km={cap}" in drv.current_url)
    assert _candidates(d) and all(km <= cap for km in _distances(d))
    assert _candidates(d) != first
    shot(d, "05-shortlist-gefilterd")

    person = _candidates(d)[0]
    d.find_element(By.ID, f"reden-{person}").send_keys("geen eigen vervoer")
    d.find_element(By.ID, f"uitkomst-rejected-{person}").click()
    wait(d, ec.text_to_be_present_in_element((By.ID, f"uitkomst-{person}"), "Vastgelegd"))
    shot(d, "06-uitkomst")
    stored = [r for r in site.matcher.store.ledger.outcome_rows() if r["jobseeker_id"] == person]
    assert stored[-1]["outcome"] == "rejected" and stored[-1]["source"].startswith("web:")

    d.find_element(By.CSS_SELECTOR, f"#kandidaat-{person} a[href*='/fit/']").click()
    wait(d, ec.presence_of_element_located((By.ID, "rang")))
    assert "Wat ontbreekt" in d.page_source
    shot(d, "07-fit-check")
    d.find_element(By.ID, "samenvatting").click()
    wait(d, ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Kandidaat voor"))
    assert person not in d.page_source
    shot(d, "08-samenvatting-werkgever")
    d.back()
    wait(d, ec.presence_of_element_located((By.ID, "uitloggen")))
    sign_out(d)
    shot(d, "09-uitgelogd")


def test_the_data_scientists_pages(site, browser):
    d = browser
    sign_in(d, site, "datascientist")
    d.find_element(By.LINK_TEXT, "Arbeidsmarkt").click()
    wait(d, ec.presence_of_element_located((By.CSS_SELECTOR, "svg.map")))
    assert len(d.find_elements(By.CSS_SELECTOR, "svg.map g.region")) == 35
    assert d.find_elements(By.CSS_SELECTOR, "#schaars tbody tr")
    shot(d, "10-arbeidsmarkt")
    d.find_element(By.LINK_TEXT, "Model").click()
    wait(d, ec.presence_of_element_located((By.ID, "ranker")))
    shot(d, "11-model")
    sign_out(d)


def test_the_werkcoach_sees_the_caseload_and_no_shortlist(site, browser):
    d, vacancy = browser, _vacancy(site)
    sign_in(d, site, "werkcoach")
    d.find_element(By.LINK_TEXT, "Caseload").click()
    wait(d, ec.presence_of_element_located((By.ID, "caseload-tabel")))
    shot(d, "12-caseload")
    d.get(f"{site.url}/werkplek/vacatures/{vacancy.id}/shortlist?doel=test")
    assert "Geen toegang" in d.find_element(By.TAG_NAME, "h1").text
    assert not d.find_elements(By.CSS_SELECTOR, "li.candidate")
    shot(d, "13-geen-toegang-werkcoach")
    d.get(f"{site.url}/werkplek/")
    sign_out(d)


def test_no_page_without_a_session(site, browser):
    d = browser
    d.delete_all_cookies()
    d.get(f"{site.url}/werkplek/vacatures")
    wait(d, ec.presence_of_element_located((By.ID, "sleutel")))
    assert "/werkplek/inloggen" in d.current_url
    shot(d, "14-zonder-sessie")


def test_a_form_without_its_csrf_token_is_refused(site, browser):
    d, vacancy = browser, _vacancy(site)
    sign_in(d, site, "matchmaker")
    d.get(f"{site.url}/werkplek/vacatures/{vacancy.id}/shortlist?doel=test")
    person = wait(d, ec.presence_of_element_located((By.CSS_SELECTOR, "li.candidate")))
    person = person.get_attribute("id").removeprefix("kandidaat-")
    before = len(site.matcher.store.ledger.outcome_rows())
    d.execute_script(  # the same form as the page's, without its token, sent as a plain POST
        "const f = document.createElement('form'); f.method = 'post';"
        "f.action = '/werkplek/uitkomsten';"
        "for (const [k, v] of Object.entries(arguments[0])) {"
        "  const i = document.createElement('input'); i.type = 'hidden'; i.name = k;"
        "  i.value = v; f.appendChild(i); }"
        "document.body.appendChild(f); f.submit();",
        {"vacancy_id": vacancy.id, "jobseeker_id": person, "outcome": "placed"},
    )
    wait(d, ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Geen toegang"))
    assert "CSRF" in d.page_source
    assert len(site.matcher.store.ledger.outcome_rows()) == before
    shot(d, "15-zonder-csrf")
    d.get(f"{site.url}/werkplek/")
    sign_out(d)
