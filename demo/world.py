"""A seeded generator of realistic Dutch jobseekers, vacancies and outcomes.

Occupations are real ESCO occupations (Dutch labels and descriptions), places real PC4 areas
with their arbeidsmarktregio. Attributes are drawn with numpy in one go per column; free
text is composed from varied sentence pools. A hidden suitability per pair (see
`demo.truth`) drives simulated matchmaker outcomes that rankers learn from.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from demo import vocab as V
from demo.occupations import OccupationPool, occupation_pool
from demo.params import DEFAULT, WorldParams
from matching.geo import geography

log = logging.getLogger("werkmatch")

SKILL_CHARS = 120  # the longest skill a profile may hold (`matching.records`)
REFERENCE_DATE = dt.date(2026, 11, 1)  # the demo world's "today", fixed for reproducibility


@dataclass
class DemoWorld:
    """Records as frames ready for ingest, plus the hidden truth and simulated outcomes."""

    jobseekers: pl.DataFrame
    vacancies: pl.DataFrame
    truth_jobseekers: pl.DataFrame
    truth_vacancies: pl.DataFrame
    outcomes: pl.DataFrame
    params: WorldParams = DEFAULT
    seed: int = 42  # what generated it (the histories' own stream is seeded from it)


def _choice(rng: np.random.Generator, options: list, p: list | None, n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), n, p=p)]


def _licences(rng: np.random.Generator, isco: np.ndarray) -> list[list[str]]:
    n = len(isco)
    has_b = rng.random(n) < 0.68
    driver = np.char.startswith(isco.astype(str), "83")
    bus = np.char.startswith(isco.astype(str), "8331")
    farm = np.char.startswith(isco.astype(str), "6")
    out = []
    for i in range(n):
        lic = []
        if has_b[i] or driver[i]:
            lic.append("B")
            if rng.random() < 0.15:
                lic.append("BE")
        if driver[i] and not bus[i] and rng.random() < 0.8:
            lic += ["C", "CE"] if rng.random() < 0.6 else ["C"]
        if bus[i] and rng.random() < 0.85:
            lic.append("D")
        if farm[i] and rng.random() < 0.6:
            lic.append("T")
        if rng.random() < 0.08:
            lic.append("A")
        out.append(lic)
    return out


def _education(rng: np.random.Generator, isco: np.ndarray) -> np.ndarray:
    out = np.empty(len(isco), dtype=object)
    majors = np.array([c[0] for c in isco])
    for major, (levels, probs) in V.EDUCATION_BY_MAJOR.items():
        mask = majors == major
        out[mask] = _choice(rng, levels, probs, int(mask.sum()))
    return out


def _months_unemployed(rng: np.random.Generator, n: int) -> np.ndarray:
    phase = rng.choice(4, n, p=[0.33, 0.2, 0.2, 0.27])
    lo = np.array([0, 3, 6, 12])[phase]
    hi = np.array([3, 6, 12, 12])[phase]
    tail = np.minimum(rng.exponential(16, n), 108)
    months = lo + rng.random(n) * (hi - lo) + np.where(phase == 3, tail, 0)
    return months.astype(int)


def _pick(rng: np.random.Generator, seq: list[str], k: int) -> list[str]:
    k = min(k, len(seq))
    return [seq[i] for i in sorted(rng.choice(len(seq), k, replace=False))]


def _jobseeker_frames(
    rng: np.random.Generator, pool: OccupationPool, n: int, progress: bool, params: WorldParams
) -> tuple[pl.DataFrame, pl.DataFrame]:
    geo = geography()
    occ = rng.choice(len(pool.uris), n, p=pool.popularity)
    # A third wants to move to a related occupation: their past job differs from the wish.
    same_minor = {
        m: np.flatnonzero(np.char.startswith(pool.isco, m)) for m in {c[:3] for c in pool.isco}
    }
    past = occ.copy()
    switch = rng.random(n) < 0.33
    for i in np.flatnonzero(switch):
        options = same_minor[pool.isco[occ[i]][:3]]
        past[i] = options[rng.integers(len(options))]
    isco = pool.isco[occ]
    pc_rows = rng.integers(0, len(geo.codes), n)
    travel = _choice(
        rng,
        [5, 10, 15, 20, 25, 30, 40, 50, 75],
        [0.04, 0.14, 0.14, 0.16, 0.2, 0.12, 0.1, 0.07, 0.03],
        n,
    ).astype(float)
    hours = _choice(
        rng,
        [12, 16, 20, 24, 28, 32, 36, 38, 40],
        [0.03, 0.05, 0.07, 0.1, 0.06, 0.2, 0.17, 0.08, 0.24],
        n,
    ).astype(float)
    months = _months_unemployed(rng, n)
    benefit = np.where(months < 24, "WW", "WWB").astype(object)
    benefit[rng.random(n) < 0.2] = "WWB"
    benefit[rng.random(n) < 0.05] = "Wajong"
    benefit[rng.random(n) < 0.08] = "geen"
    age = _choice(rng, ["15-26", "27-44", "45-54", "55-67"], [0.15, 0.4, 0.25, 0.2], n)
    education = _education(rng, isco)
    licences = _licences(rng, isco)
    coded = rng.random(n) < 0.6
    available = rng.integers(-30, 45, n)
    latent = rng.normal(params.latent_long_unemployed * (months >= 12), 1.0)
    years = np.clip(rng.gamma(2.0, 4.0, n), 1, 35).astype(int)
    accepted = travel * rng.lognormal(0.0, params.travel_sigma, n)
    parent = rng.random(n) < params.parent_share
    rows, real_skills = [], []
    for i in tqdm(range(n), desc="demo jobseekers", unit="js", disable=not progress):
        o, p = occ[i], past[i]
        want = pool.labels[o][rng.integers(len(pool.labels[o]))]
        if rng.random() < 0.15:
            want = want.capitalize() if rng.random() < 0.5 else want.lower()
        past_label = pool.labels[p][rng.integers(len(pool.labels[p]))]
        skills = _pick(rng, pool.skills[p], int(rng.integers(3, 7)))
        if p != o:
            skills += _pick(rng, pool.skills[o], 2)
        if rng.random() < 0.4:
            skills.append(f"{V.LANGUAGES[rng.integers(len(V.LANGUAGES))]} spreken")
        skills = list(dict.fromkeys(skills))
        real_skills.append(skills)
        facts = CvFacts(
            past_label=past_label,
            want=want,
            mentioned=[s for s in skills if rng.random() < params.skill_in_cv],
            education=education[i],
            licences=licences[i],
            years=int(years[i]) if rng.random() < params.years_in_cv else None,
            city=geo.table["city"][int(pc_rows[i])],
            km=travel[i],
            hours=hours[i],
            cares_for_children=bool(parent[i]) and rng.random() < params.parent_in_cv,
        )
        rows.append(
            {
                "id": f"WZ-{i + 1:07d}",
                "cv_text": _cv_text(rng, pool, p, int(years[i]), facts),
                "desired_occupation": want,
                "desired_esco_uri": pool.uris[o] if coded[i] else None,
                "skills": _listed_skills(rng, pool, skills, params),
                "education": education[i],
                "licences": licences[i],
                "postcode": geo.codes[int(pc_rows[i])],
                "max_travel_km": travel[i],
                "hours_per_week": hours[i],
                "available_from": REFERENCE_DATE + dt.timedelta(days=int(available[i])),
                "months_unemployed": int(months[i]),
                "benefit": benefit[i],
                "age_band": age[i] if rng.random() >= 0.12 else None,
            }
        )
    frame = pl.DataFrame(rows, schema_overrides={"age_band": pl.Utf8, "desired_esco_uri": pl.Utf8})
    truth = pl.DataFrame(
        {
            "id": frame["id"],
            "occupation_uri": [pool.uris[o] for o in occ],
            "past_uri": [pool.uris[p] for p in past],
            "latent": latent,
            "skills": real_skills,
            "accepted_km": accepted,
            "parent": parent,
            "years": years,
            "age_band": list(age),
        },
        schema_overrides={"age_band": pl.Utf8},
    )
    return frame, truth


def _listed_skills(
    rng: np.random.Generator, pool: OccupationPool, skills: list[str], params: WorldParams
) -> list[str]:
    """The skills a profile lists: some of the real ones, some of those in other words."""
    listed = [s for s in skills if rng.random() < params.skill_listed] or skills[:1]
    out = []
    for s in listed:
        if rng.random() < params.skill_other_words:
            other = pool.other_words.get(s) or f"kennis van {s}"
            s = other if len(other) <= SKILL_CHARS else s
        out.append(s)
    return _fitting(list(dict.fromkeys(out)))  # CVs may say more


def _fitting(skills: list[str]) -> list[str]:
    """The skills a record can hold: a few ESCO labels are longer than SKILL_CHARS."""
    return [s for s in skills if len(s) <= SKILL_CHARS]


@dataclass
class CvFacts:
    """What one CV text says about its author (each fact may be left out)."""

    past_label: str
    want: str
    mentioned: list[str]
    education: str
    licences: list[str]
    years: int | None
    city: str
    km: float
    hours: float
    cares_for_children: bool


def _cv_text(rng: np.random.Generator, pool: OccupationPool, p: int, years: int, f: CvFacts) -> str:
    def pick(options: list[str]) -> str:
        return options[rng.integers(len(options))]

    y2 = 2026 - int(rng.integers(0, 4))
    y1 = y2 - int(rng.integers(1, max(2, min(years, 15)) + 1))
    employer = pick(V.FIRST_EMPLOYERS).format(city=f.city)
    duty = pool.duties[p]
    openings = V.CV_OPENINGS_YEARS if f.years is not None else V.CV_OPENINGS
    parts = [
        pick(openings).format(occ=f.past_label, years=f.years),
        pick(V.CV_EXPERIENCE).format(
            y1=y1,
            y2=y2,
            y2_minus=y2 - y1,
            past=f.past_label,
            employer=employer,
            city=f.city,
            duty=duty[0].lower() + duty[1:],
            duty_cap=duty,
        ),
    ]
    if f.mentioned:
        parts.append(pick(V.CV_SKILLS).format(skills=", ".join(f.mentioned)))
    optional = [
        pick(V.CV_EDUCATION).format(edu=f.education),
        pick(V.CV_WISHES).format(want=f.want, city=f.city, hours=int(f.hours), km=int(f.km)),
        pick(V.CV_EXTRA).format(lang1="Nederlands", lang2=pick(V.LANGUAGES[1:])),
    ]
    if f.licences:
        optional.append(pick(V.CV_LICENCES).format(lic=" en ".join(f.licences)))
    keep = [s for s in optional if rng.random() < 0.75]
    if f.cares_for_children:
        keep.append(pick(V.CV_CARE))
    rng.shuffle(keep)
    return " ".join(parts + keep)


def _vacancy_frames(
    rng: np.random.Generator, pool: OccupationPool, n: int, params: WorldParams
) -> tuple[pl.DataFrame, pl.DataFrame]:
    geo = geography()
    regions = sorted(set(geo.region_codes.tolist()))
    region_boost = dict(zip(regions, rng.lognormal(0, 0.5, len(regions)), strict=True))
    weights = np.array([region_boost[r] for r in geo.region_codes])
    pc_rows = rng.choice(len(geo.codes), n, p=weights / weights.sum())
    occ = rng.choice(len(pool.uris), n, p=pool.demand)
    isco = pool.isco[occ]
    hours = _choice(
        rng,
        [(32, 40), (36, 40), (24, 32), (16, 24), (38, 40), (20, 32), (40, 40), (12, 20)],
        [0.25, 0.2, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05],
        n,
    )
    contract = _choice(
        rng, ["vast", "tijdelijk", "uitzend", "oproep", "leerwerk"], [0.3, 0.4, 0.2, 0.05, 0.05], n
    )
    coded = rng.random(n) < 0.5
    posted = rng.integers(0, 60, n)
    status = np.where(rng.random(n) < 0.93, "open", "closed")
    senior = rng.random(n) < params.senior_share
    rows = []
    for i in range(n):
        o = occ[i]
        city = geo.table["city"][int(pc_rows[i])]
        region = geo.region_names[str(geo.region_codes[int(pc_rows[i])])]
        label = pool.labels[o][0 if rng.random() < 0.5 else rng.integers(len(pool.labels[o]))]
        hmin, hmax = hours[i]
        deco = V.TITLE_DECORATIONS[rng.integers(len(V.TITLE_DECORATIONS))]
        if senior[i] and rng.random() < params.senior_in_title:
            deco = "Senior {t}"
        title = deco.format(
            t=label, T=label.capitalize(), city=city, region=region, hmin=hmin, hmax=hmax
        )
        required = _pick(rng, pool.skills[o][:8], int(rng.integers(2, 5)))
        nice = [s for s in _pick(rng, pool.skills[o], 3) if s not in required]
        major = isco[i][0]
        min_edu = V.MIN_EDUCATION_BY_MAJOR[major]
        lic = []
        if isco[i].startswith("83") and not isco[i].startswith("8331"):
            lic = ["CE"] if rng.random() < 0.6 else ["C"]
        elif isco[i].startswith("8331"):
            lic = ["D"]
        elif rng.random() < 0.12:
            lic = ["B"]
        employer = V.EMPLOYER_PATTERNS[rng.integers(len(V.EMPLOYER_PATTERNS))].format(
            surname=V.SURNAMES[rng.integers(len(V.SURNAMES))],
            surname2=V.SURNAMES[rng.integers(len(V.SURNAMES))],
            sector=V.SECTOR_BY_MAJOR[major][rng.integers(len(V.SECTOR_BY_MAJOR[major]))],
            city=city,
            region=region,
        )
        s1 = int(rng.integers(22, 45)) * 100
        desc = [
            V.VACANCY_INTROS[rng.integers(len(V.VACANCY_INTROS))].format(
                employer=employer, city=city, region=region, t=label
            ),
            V.VACANCY_DUTIES[rng.integers(len(V.VACANCY_DUTIES))].format(duty=pool.duties[o]),
            V.VACANCY_ASKS[rng.integers(len(V.VACANCY_ASKS))].format(skills=", ".join(required)),
        ]
        if senior[i] and rng.random() < params.senior_in_text:
            desc.append(pick_senior(rng).format(years=params.senior_min_years, t=label))
        if min_edu and rng.random() < 0.7:
            desc.append(V.VACANCY_EDU[rng.integers(len(V.VACANCY_EDU))].format(edu=min_edu))
        if lic:
            desc.append(f"Rijbewijs {' en '.join(lic)} is vereist.")
        desc.append(
            V.VACANCY_OFFERS[rng.integers(len(V.VACANCY_OFFERS))].format(
                s1=s1,
                s2=s1 + int(rng.integers(3, 12)) * 100,
                hmin=hmin,
                hmax=hmax,
                contract=contract[i],
            )
        )
        rows.append(
            {
                "id": f"VAC-{i + 1:06d}",
                "employer": employer,
                "title": title[:200],
                "description": " ".join(desc),
                "esco_uri": pool.uris[o] if coded[i] else None,
                "required_skills": _fitting(required),  # the text may name longer ones
                "nice_skills": _fitting(nice),
                "min_education": min_edu,
                "required_licences": lic,
                "postcode": geo.codes[int(pc_rows[i])],
                "hours_min": float(hmin),
                "hours_max": float(hmax),
                "contract_type": contract[i],
                "status": status[i],
                "posted_date": REFERENCE_DATE - dt.timedelta(days=int(posted[i])),
            }
        )
    frame = pl.DataFrame(rows, schema_overrides={"esco_uri": pl.Utf8, "min_education": pl.Utf8})
    truth = pl.DataFrame(
        {"id": frame["id"], "occupation_uri": [pool.uris[o] for o in occ], "senior": senior}
    )
    return frame, truth


def pick_senior(rng: np.random.Generator) -> str:
    return V.VACANCY_SENIOR[rng.integers(len(V.VACANCY_SENIOR))]


def generate(
    jobseekers: int = 5000,
    vacancies: int = 1500,
    seed: int = 42,
    progress: bool = True,
    max_outcome_vacancies: int = 3000,
    params: WorldParams = DEFAULT,
) -> DemoWorld:
    """Generate a demo world; the same seed and parameters give the same world."""
    from demo.truth import simulate_outcomes

    rng = np.random.default_rng(seed)
    pool = occupation_pool(rng)
    js, js_truth = _jobseeker_frames(rng, pool, jobseekers, progress, params)
    vac, vac_truth = _vacancy_frames(rng, pool, vacancies, params)
    world = DemoWorld(js, vac, js_truth, vac_truth, None, params, seed)  # type: ignore[arg-type]
    world.outcomes = simulate_outcomes(
        rng, world, max_vacancies=max_outcome_vacancies, progress=progress
    )
    return world
