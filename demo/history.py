"""Unemployment histories of the demo world: intake, phase changes, exit to work or not.

Each person's spell started `months_unemployed` months before the world's reference date and
is followed for `HistoryParams.follow_up_months` after it. Every month they find work with a
chance driven by their hidden job chances (suitability for the open vacancies near them), the
tension of their occupation group in their region, their benefit regime, the duration of the
spell and the employers' bias of the world; a person the world's outcomes place starts in that
job within a few months. All draws come from their own generator, seeded from the world's
seed and `HistoryParams.stream`, so the world itself (and every figure measured on it) is
exactly what it was before histories existed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from demo.params import HISTORY, HistoryParams
from demo.truth import JobseekerArrays, _tension, suitability
from demo.world import REFERENCE_DATE, DemoWorld
from matching.geo import geography, haversine_km
from matching.labour_market import unemployment_phase
from matching.taxonomy import taxonomy

DAYS_PER_MONTH = 30.44
PHASE_STARTS = (3, 6, 12)  # months at which phases 1, 2 and 3 begin
NEAR_KM = 60.0
EVENT_SCHEMA = {
    "jobseeker_id": pl.Utf8,
    "event": pl.Utf8,  # intake | phase | exit_work
    "on": pl.Date,
    "phase": pl.Int64,
    "vacancy_id": pl.Utf8,
    "source": pl.Utf8,
}


def months_after(start: dt.date, months: float) -> dt.date:
    return start + dt.timedelta(days=round(months * DAYS_PER_MONTH))


def job_weights(world: DemoWorld, a: JobseekerArrays) -> np.ndarray:
    """(jobseekers, open vacancies) exp(suitability - hire_at) for vacancies within 60 km."""
    geo, p = geography(), world.params
    vac = world.vacancies.join(world.truth_vacancies, on="id").filter(pl.col("status") == "open")
    out = np.zeros((len(a.ids), vac.height), dtype=np.float32)
    everyone = np.arange(len(a.ids))
    for j, v in enumerate(vac.iter_rows(named=True)):
        r = geo.row(v["postcode"])
        near = haversine_km(geo.lat[r], geo.lon[r], a.lat, a.lon) < NEAR_KM
        s = suitability(v, v["occupation_uri"], a, everyone, bool(v["senior"]), p)
        out[:, j] = np.where(near, np.exp(np.minimum(s - p.hire_at, 20.0)), 0.0)
    return out


def job_chances(weights: np.ndarray) -> np.ndarray:
    """Standardised log-sum-exp of the job weights: who has many good jobs near them."""
    raw = np.log1p(weights.sum(axis=1).astype(float))
    return (raw - raw.mean()) / (raw.std() or 1.0)


def own_tension(world: DemoWorld) -> np.ndarray:
    """Tension of each person's real occupation group in their region."""
    tax, geo = taxonomy(), geography()
    js, jt = world.jobseekers, world.truth_jobseekers
    cells = _tension(js, jt, world.vacancies, world.truth_vacancies)
    t = js.select("id", "postcode").join(jt.select("id", "occupation_uri"), on="id")
    return np.array(
        [
            cells.get((tax.occupations[u].isco[:2], geo.region_of(pc)), 1.0)
            for pc, u in zip(t["postcode"], t["occupation_uri"], strict=True)
        ]
    )


def monthly_logits(
    world: DemoWorld, chances: np.ndarray, tension: np.ndarray, hp: HistoryParams
) -> np.ndarray:
    """(jobseekers, follow-up months) logit of finding work in each month after the
    reference date."""
    p, js = world.params, world.jobseekers
    months = js["months_unemployed"].to_numpy()[:, None] + np.arange(hp.follow_up_months)
    older = world.truth_jobseekers["age_band"].is_in(["45-54", "55-67"]).to_numpy()[:, None]
    regime = np.array([hp.regime(b) for b in js["benefit"].to_list()])[:, None]
    return (
        hp.base_logit
        + np.asarray(hp.phase_logit)[unemployment_phase(months)]
        + hp.w_chances * chances[:, None]
        + hp.w_tension * np.log(tension)[:, None]
        + regime
        - p.bias_age_45 * older
        - p.bias_unemployed_12m * (months >= 12)
    )


def exits(
    rng: np.random.Generator, logits: np.ndarray, placed_month: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Month of the exit to work after the reference date (-1: none) and whether it is the
    world's placement; the draws are made for every cell, so they never depend on the values."""
    found = rng.random(logits.shape) < 1 / (1 + np.exp(-logits))
    first = np.where(found.any(axis=1), found.argmax(axis=1), -1)
    by_placement = (placed_month >= 0) & ((first < 0) | (placed_month <= first))
    return np.where(by_placement, placed_month, first), by_placement


def generate_history(
    world: DemoWorld, seed: int, hp: HistoryParams = HISTORY, weights: np.ndarray | None = None
) -> pl.DataFrame:
    """Every person's events (see EVENT_SCHEMA), from a generator of its own."""
    rng = np.random.default_rng([seed, hp.stream])
    a = JobseekerArrays.build(world.jobseekers, world.truth_jobseekers)
    w = job_weights(world, a) if weights is None else weights
    logits = monthly_logits(world, job_chances(w), own_tension(world), hp)
    n, ids = len(a.ids), a.ids.tolist()
    placements = world.outcomes.filter(pl.col("outcome") == "placed").unique(
        "jobseeker_id", keep="first", maintain_order=True
    )
    placed = dict(zip(placements["jobseeker_id"], placements["vacancy_id"], strict=True))
    draw_placed = rng.integers(0, hp.placed_within_months, n)
    placed_month = np.array([draw_placed[i] if j in placed else -1 for i, j in enumerate(ids)])
    month, by_placement = exits(rng, logits, placed_month)
    day, via, pick = rng.random(n), rng.random(n) < hp.via_vacancy, rng.random(n)
    open_ids = world.vacancies.filter(pl.col("status") == "open")["id"].to_list()
    rows = []
    end = months_after(REFERENCE_DATE, hp.follow_up_months)
    for i, jid in enumerate(ids):
        start = months_after(REFERENCE_DATE, -int(world.jobseekers["months_unemployed"][i]))
        exit_on = months_after(REFERENCE_DATE, month[i] + day[i]) if month[i] >= 0 else None
        rows.append(_event(jid, "intake", start, 0, None))
        for phase, at in enumerate(PHASE_STARTS, start=1):
            on = months_after(start, at)
            if on <= min(exit_on or end, end):
                rows.append(_event(jid, "phase", on, phase, None))
        if exit_on is not None:
            vacancy = placed[jid] if by_placement[i] else _vacancy(w[i], pick[i], via[i], open_ids)
            rows.append(_event(jid, "exit_work", exit_on, None, vacancy))
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def _event(jid: str, event: str, on: dt.date, phase: int | None, vacancy: str | None) -> dict:
    return {"jobseeker_id": jid, "event": event, "on": on, "phase": phase} | {
        "vacancy_id": vacancy,
        "source": "demo",
    }


def _vacancy(weights: np.ndarray, u: float, via: bool, open_ids: list[str]) -> str | None:
    """A vacancy of the world chosen by job weight (None: work found elsewhere)."""
    total = float(weights.sum())
    if not via or total <= 0:
        return None
    j = int(np.searchsorted(np.cumsum(weights, dtype=float), u * total, side="right"))
    return open_ids[min(j, len(open_ids) - 1)]
