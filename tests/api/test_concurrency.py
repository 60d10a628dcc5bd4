"""Writes and shortlists at the same time, over HTTP: a shortlist never shows a record half
written (one version's occupation with the other's hours), and a taken id is never
overwritten by a second create."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.factories import jobseeker

VACANCY = "VAC-000001"
SECONDS = 4.0


def _versions(live) -> list[dict]:
    """Two complete versions of a person who passes the vacancy's filters; occupation and
    hours change together, so a mix of the two is visible in an explanation."""
    with live.client("accountmanager") as am:
        v = am.get(f"/v1/vacancies/{VACANCY}").json()
    base = {
        "postcode": v["postcode"],
        "licences": sorted(set(v["required_licences"]) | {"B"}),
        "max_travel_km": 50,
        "cv_text": f"Ervaring als {v['title']}. {v['description'][:300]}",
        "skills": v["required_skills"],
    }
    low, high = v["hours_min"], v["hours_max"]
    return [
        {**base, "desired_occupation": "kok", "hours_per_week": low},
        {**base, "desired_occupation": "heftruckchauffeur", "hours_per_week": high},
    ]


def test_interleaved_writes_never_show_a_half_written_record(live):
    versions = _versions(live)
    hours_of = {v["desired_occupation"]: f"{v['hours_per_week']:g} uur" for v in versions}
    ids = [f"WZ-INTER{i}" for i in range(3)]
    with live.client("werkcoach") as wc:
        for pid in ids:
            body = jobseeker(id=pid).model_dump(mode="json") | versions[0]
            assert wc.post("/v1/jobseekers", json=body).status_code == 201
    start, stop = threading.Barrier(4), time.monotonic() + SECONDS
    seen, mixed, codes = [], [], []

    def write(pid: str) -> None:
        with live.client("werkcoach") as wc:
            start.wait()
            n = 0
            while time.monotonic() < stop:
                body = jobseeker(id=pid).model_dump(mode="json") | versions[n % 2]
                codes.append(wc.put(f"/v1/jobseekers/{pid}", json=body).status_code)
                n += 1

    def read() -> None:
        with live.client("matchmaker") as mm:
            start.wait()
            while time.monotonic() < stop:
                r = mm.get(f"/v1/vacancies/{VACANCY}/shortlist", params={"k": 200})
                codes.append(r.status_code)
                for item in r.json()["data"]:
                    if item["id"] in ids:
                        hours = next(c["value"] for c in item["criteria"] if c["name"] == "uren")
                        seen.append(item["id"])
                        if hours != hours_of[item["title"]]:
                            mixed.append((item["title"], hours))

    with ThreadPoolExecutor(4) as pool:
        done = [pool.submit(write, ids[0]), pool.submit(write, ids[1])]
        done += [pool.submit(read), pool.submit(read)]
        for f in done:
            f.result()
    assert set(codes) == {200}
    assert seen, "the written people never reached a shortlist: the test saw nothing"
    assert mixed == []
    with live.client("admin") as admin:
        for pid in ids:
            assert admin.delete(f"/v1/jobseekers/{pid}").status_code == 204


def test_two_creates_of_one_id_store_one_and_refuse_the_other(live):
    def create(n: int) -> int:
        body = jobseeker(id="WZ-RACE", cv_text=f"versie {n}").model_dump(mode="json")
        with live.client("werkcoach") as wc:
            return wc.post("/v1/jobseekers", json=body).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(create, range(6)))
    assert codes == [201, 409, 409, 409, 409, 409]
    with live.client("werkcoach") as wc:
        stored = wc.get("/v1/jobseekers/WZ-RACE").json()["cv_text"]
    with live.client("admin") as admin:
        assert admin.delete("/v1/jobseekers/WZ-RACE").status_code == 204
    assert stored.startswith("versie ")
