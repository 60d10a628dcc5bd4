"""The demo world's hidden suitability of (vacancy, jobseeker) pairs and simulated outcomes.

Suitability is what a good matchmaker who knew everything would judge: occupation closeness,
the past job, the share of required skills really held (not only those listed), distance
against the distance really accepted, education, hours (more for parents), licences (for
driving work), experience (more for senior vacancies), and a latent quality no record shows.
Its parameters live in `demo.params`. It is the ground truth of evaluation (relevance grades)
and drives the simulated outcomes that rankers train on. Simulated employers are biased
against people of 45+ and people unemployed for over a year when they invite and when they
hire, so the labels carry that bias and the fairness report has something real to measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from demo import vocab as V
from demo.params import DEFAULT, WorldParams
from matching.geo import geography, haversine_km
from matching.records import EDUCATION_RANK, EducationLevel, Licence, licence_closure
from matching.records import licence_mask as _mask


def licence_mask(licences: list[str]) -> int:
    """Bit mask of all licence categories covered by the licences held."""
    return _mask(licence_closure([Licence(x) for x in licences]))


def _rank(level: str | None) -> int:
    return EDUCATION_RANK[EducationLevel(level)] if level else 0


@dataclass
class JobseekerArrays:
    """Column arrays of jobseekers and their hidden truth, for vectorised scoring."""

    ids: np.ndarray
    occ: np.ndarray
    isco: np.ndarray
    past_uri: np.ndarray
    past_isco: np.ndarray
    edu: np.ndarray
    lic: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    travel: np.ndarray
    hours: np.ndarray
    months: np.ndarray
    latent: np.ndarray
    skills: list[frozenset[str]]  # the real skills, not only those listed
    accepted: np.ndarray  # the distance really accepted
    parent: np.ndarray
    years: np.ndarray
    older: np.ndarray  # truly 45+ (the record may not say)

    @classmethod
    def build(cls, js: pl.DataFrame, truth: pl.DataFrame) -> JobseekerArrays:
        from matching.taxonomy import taxonomy

        tax, geo = taxonomy(), geography()
        t = js.select(
            "id",
            "education",
            "licences",
            "postcode",
            "max_travel_km",
            "hours_per_week",
            "months_unemployed",
        ).join(truth, on="id")
        rows = geo.rows(t["postcode"].to_list())
        occ = t["occupation_uri"].to_numpy().astype(str)
        past = t["past_uri"].to_numpy().astype(str)
        return cls(
            ids=t["id"].to_numpy().astype(str),
            occ=occ,
            isco=np.array([tax.occupations[u].isco for u in occ]),
            past_uri=past,
            past_isco=np.array([tax.occupations[u].isco for u in past]),
            edu=np.array([_rank(e) for e in t["education"].to_list()]),
            lic=np.array([licence_mask(x) for x in t["licences"].to_list()], dtype=np.int64),
            lat=geo.lat[rows],
            lon=geo.lon[rows],
            travel=t["max_travel_km"].to_numpy().astype(float),
            hours=t["hours_per_week"].to_numpy().astype(float),
            months=t["months_unemployed"].to_numpy(),
            latent=t["latent"].to_numpy(),
            skills=[frozenset(s) for s in t["skills"].to_list()],
            accepted=t["accepted_km"].to_numpy().astype(float),
            parent=t["parent"].to_numpy().astype(bool),
            years=t["years"].to_numpy().astype(float),
            older=t["age_band"].is_in(["45-54", "55-67"]).to_numpy(),
        )


def occupation_closeness(uri: str, isco: str, occ: np.ndarray, occ_isco: np.ndarray) -> np.ndarray:
    """3 same occupation, 2 same ISCO unit group, 1.2 same minor group, 0.5 same sub-major."""
    out = np.zeros(len(occ))
    out[np.char.startswith(occ_isco, isco[:2])] = 0.5
    out[np.char.startswith(occ_isco, isco[:3])] = 1.2
    out[occ_isco == isco] = 2.0
    out[occ == uri] = 3.0
    return out


def suitability(
    vac: dict,
    vac_uri: str,
    a: JobseekerArrays,
    idx: np.ndarray,
    senior: bool = False,
    p: WorldParams = DEFAULT,
) -> np.ndarray:
    """Hidden suitability of jobseekers `idx` for one vacancy (higher is better)."""
    from matching.taxonomy import taxonomy

    geo = geography()
    v_isco = taxonomy().occupations[vac_uri].isco
    r = geo.row(vac["postcode"])
    dist = haversine_km(geo.lat[r], geo.lon[r], a.lat[idx], a.lon[idx])
    beyond = np.maximum(0.0, dist - a.accepted[idx])
    required = set(vac["required_skills"])
    skill = np.array([len(required & a.skills[i]) / max(1, len(required)) for i in idx])
    gap = _rank(vac["min_education"]) - a.edu[idx]
    need = licence_mask(vac["required_licences"])
    lic_missing = (a.lic[idx] & need) != need
    short = np.maximum(0.0, vac["hours_min"] - a.hours[idx])
    extra = np.maximum(0.0, a.hours[idx] - vac["hours_max"])
    years = a.years[idx]
    experience = p.w_experience * np.log2(1 + years) * (p.senior_factor if senior else 1.0)
    junior = senior & (years < p.senior_min_years)
    return (
        p.w_occupation * occupation_closeness(vac_uri, v_isco, a.occ[idx], a.isco[idx])
        + p.w_past * (a.past_isco[idx] == v_isco)
        + p.w_skills * skill
        - p.w_distance * dist
        - p.w_beyond_accepted * beyond
        - p.w_education * np.maximum(0, gap)
        - 0.15 * np.maximum(0, -gap - 2)
        - p.w_hours_short * short * np.where(a.parent[idx], p.parent_hours_factor, 1.0)
        - 0.03 * extra
        - (p.w_licence_driving if v_isco.startswith("83") else p.w_licence_other) * lic_missing
        + experience
        - p.w_junior_on_senior * junior
        + p.w_latent * a.latent[idx]
    )


def grade(suit: np.ndarray, p: WorldParams = DEFAULT) -> np.ndarray:
    """Relevance grade 0-3 of suitability values."""
    return np.searchsorted(np.asarray(p.grade_edges), suit, side="right")


def _reason(rng: np.random.Generator, vac: dict, a: JobseekerArrays, i: int, dist: float) -> str:
    need = licence_mask(vac["required_licences"])
    if (a.lic[i] & need) != need:
        return "geen passend rijbewijs"
    if dist > a.travel[i]:
        return "reisafstand te groot"
    if _rank(vac["min_education"]) > a.edu[i]:
        return "opleidingsniveau te laag"
    if a.hours[i] < vac["hours_min"] - 4:
        return "niet beschikbaar op gevraagde uren"
    generic = V.REJECTION_REASONS[:1] + V.REJECTION_REASONS[5:]
    return generic[rng.integers(len(generic))]


def _tension(js: pl.DataFrame, jt: pl.DataFrame, vac: pl.DataFrame, vt: pl.DataFrame) -> dict:
    """Vacancies per short-term unemployed jobseeker by (ISCO sub-major, region)."""
    from matching.taxonomy import taxonomy

    tax, geo = taxonomy(), geography()

    def keyed(frame: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
        t = frame.join(truth, on="id")
        return t.with_columns(
            pl.Series("grp", [tax.occupations[u].isco[:2] for u in t["occupation_uri"]]),
            pl.Series("region", [geo.region_of(p) for p in t["postcode"]]),
        )

    jobs = keyed(vac, vt).group_by("grp", "region").len("v")
    short = keyed(js.filter(pl.col("months_unemployed") < 6), jt).group_by("grp", "region").len("j")
    both = jobs.join(short, on=["grp", "region"], how="full", coalesce=True).fill_null(0)
    return {(g, r): (v + 0.5) / (j + 0.5) for g, r, v, j in both.iter_rows()}


def _logistic(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


def simulate_outcomes(
    rng: np.random.Generator, world, max_vacancies: int = 3000, progress: bool = True
) -> pl.DataFrame:
    """Matchmakers shortlist ~10 plausible candidates per vacancy; biased employers invite
    and hire (`world` is a `demo.world.DemoWorld` without outcomes yet)."""
    from matching.taxonomy import taxonomy

    tax, geo, p = taxonomy(), geography(), world.params
    a = JobseekerArrays.build(world.jobseekers, world.truth_jobseekers)
    vac, vt = world.vacancies, world.truth_vacancies
    tension = _tension(world.jobseekers, world.truth_jobseekers, vac, vt)
    by_group: dict[str, np.ndarray] = {}
    for g in np.unique(np.char.ljust(a.isco, 2).astype("U2")):
        by_group[g] = np.flatnonzero(np.char.startswith(a.isco, g))
    uris = dict(zip(vt["id"], vt["occupation_uri"], strict=True))
    senior = dict(zip(vt["id"], vt["senior"], strict=True))
    rows = []
    n = min(len(vac), max_vacancies)
    for v in tqdm(
        vac.head(n).iter_rows(named=True), total=n, desc="demo outcomes", disable=not progress
    ):
        uri = uris[v["id"]]
        v_isco = tax.occupations[uri].isco
        r = geo.row(v["postcode"])
        pool = by_group.get(v_isco[:2], np.zeros(0, dtype=int))
        near = pool[haversine_km(geo.lat[r], geo.lon[r], a.lat[pool], a.lon[pool]) < 60]
        cand = np.unique(np.concatenate([near, rng.integers(0, len(a.ids), 4)]))
        suit = suitability(v, uri, a, cand, bool(senior[v["id"]]), p)
        perceived = suit + rng.normal(0, p.perceived_noise, len(cand))
        chosen = np.argsort(-perceived)[: int(rng.integers(6, 13))]
        t = tension.get((v_isco[:2], geo.region_of(v["postcode"])), 1.0)
        placed_one = False
        for c in chosen:
            i, s = int(cand[c]), float(suit[c])
            bias = p.bias_age_45 * a.older[i] + p.bias_unemployed_12m * (a.months[i] >= 12)
            invited = rng.random() < _logistic(s - p.invite_at - bias)
            hire = p.hire_slope * (s - p.hire_at) + p.tension_effect * np.log(t) - bias
            if invited and not placed_one and rng.random() < _logistic(hire):
                outcome, reason, placed_one = "placed", None, True
            elif invited:
                outcome, reason = "invited", None
            else:
                dist = float(haversine_km(geo.lat[r], geo.lon[r], a.lat[i], a.lon[i]))
                outcome, reason = "rejected", _reason(rng, v, a, i, dist)
            rows.append(
                {
                    "vacancy_id": v["id"],
                    "jobseeker_id": str(a.ids[i]),
                    "outcome": outcome,
                    "reason": reason,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "vacancy_id": pl.Utf8,
            "jobseeker_id": pl.Utf8,
            "outcome": pl.Utf8,
            "reason": pl.Utf8,
        },
    )


class DemoTruth:
    """The demo world's hidden suitability and grades of any vacancy against its jobseekers."""

    def __init__(
        self,
        arrays: JobseekerArrays,
        vacancies: dict[str, dict],
        vacancy_truth: pl.DataFrame,
        params: WorldParams = DEFAULT,
    ) -> None:
        self.arrays, self.vacancies, self.params = arrays, vacancies, params
        ids = vacancy_truth["id"]
        self.vacancy_uri = dict(zip(ids, vacancy_truth["occupation_uri"], strict=True))
        self.senior = dict(zip(ids, vacancy_truth["senior"], strict=True))
        self.position = {j: i for i, j in enumerate(arrays.ids.tolist())}
        self._all = np.arange(len(arrays.ids))

    @classmethod
    def load(cls, folder) -> DemoTruth | None:
        """The truth saved by `demo.load`, or None when this is no demo world."""
        import json
        from pathlib import Path

        folder = Path(folder)
        needed = ["jobseekers", "vacancies", "truth_jobseekers", "truth_vacancies"]
        if not all((folder / f"{n}.parquet").exists() for n in needed):
            return None
        js = pl.read_parquet(folder / "jobseekers.parquet")
        vac = pl.read_parquet(folder / "vacancies.parquet")
        arrays = JobseekerArrays.build(js, pl.read_parquet(folder / "truth_jobseekers.parquet"))
        saved = folder / "params.json"
        params = WorldParams.from_dict(json.loads(saved.read_text())) if saved.exists() else DEFAULT
        return cls(
            arrays,
            {r["id"]: r for r in vac.iter_rows(named=True)},
            pl.read_parquet(folder / "truth_vacancies.parquet"),
            params,
        )

    def suitability(self, vacancy_id: str) -> np.ndarray:
        """Hidden suitability of every jobseeker (in `arrays.ids` order) for one vacancy."""
        return suitability(
            self.vacancies[vacancy_id],
            self.vacancy_uri[vacancy_id],
            self.arrays,
            self._all,
            bool(self.senior[vacancy_id]),
            self.params,
        )

    def grades(self, vacancy_id: str) -> dict[str, int]:
        """jobseeker id -> relevance grade 0-3 for one vacancy (all jobseekers)."""
        g = grade(self.suitability(vacancy_id), self.params)
        return dict(zip(self.arrays.ids.tolist(), g.tolist(), strict=True))
