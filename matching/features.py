"""Pair features of (vacancy, jobseeker), vectorised over all candidates of one query.

Every feature belongs to one criterion a matchmaker recognises; the ranker's additive
contributions are summed per criterion for the explanation. Age, gender, nationality and the
like are never features: records do not even carry them, except an optional age band that
only the fairness report reads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from matching.filters import PairChecks
from matching.labour_market import Market, occupation_group, unemployment_phase
from matching.lexical import clean_title, pair_similarity
from matching.records import EDUCATION_RANK, Jobseeker, Vacancy
from matching.taxonomy import taxonomy
from matching.text_facts import cv_facts, folded, years_asked

# (feature, criterion)
FEATURES: tuple[tuple[str, str], ...] = (
    ("semantic", "inhoud"),
    ("title_sim", "functietitel"),
    ("skill_sim", "vaardigheden"),
    ("skill_overlap", "vaardigheden"),
    ("cv_skill_overlap", "vaardigheden"),
    ("nice_overlap", "vaardigheden"),
    ("same_occupation", "beroep"),
    ("same_isco_unit", "beroep"),
    ("same_isco_minor", "beroep"),
    ("same_isco_submajor", "beroep"),
    ("distance_km", "afstand"),
    ("distance_ratio", "afstand"),
    ("same_region", "regio"),
    ("log_tension", "arbeidsmarkt"),
    ("unemployment_phase", "werkloosheidsduur"),
    ("education_gap", "opleiding"),
    ("experience_years", "ervaring"),
    ("experience_short", "ervaring"),
    ("senior_experience", "ervaring"),
    ("hours_short", "uren"),
    ("care_hours_short", "uren"),
    ("hours_excess", "uren"),
    ("licence_ok", "rijbewijs"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f for f, _ in FEATURES)
CRITERION_OF: dict[str, str] = dict(FEATURES)
CRITERIA: tuple[str, ...] = tuple(dict.fromkeys(c for _, c in FEATURES))


@dataclass
class PairFeatures:
    """Feature matrix of n pairs, and the skill details behind the skill features."""

    X: np.ndarray  # (n, len(FEATURE_NAMES)) float64
    matched_skills: list[list[str]]
    missing_skills: list[list[str]]
    tension: list[float | None]
    in_cv_only: list[list[str]]  # required skills not listed but named in the CV text
    years_asked: np.ndarray  # years of experience the vacancy asks for (0: none)

    def column(self, name: str) -> np.ndarray:
        return self.X[:, FEATURE_NAMES.index(name)]


def _isco(uri: str | None) -> str:
    occ = taxonomy().get(uri) if uri else None
    return occ.isco if occ else ""


def _prefix_equal(a: list[str], b: list[str], n: int) -> np.ndarray:
    return np.array([len(x) >= n and x[:n] == y[:n] for x, y in zip(a, b, strict=True)])


def pair_features(
    vacancies: list[Vacancy],
    jobseekers: list[Jobseeker],
    similarity: np.ndarray,
    vacancy_occupations: list[str | None],
    jobseeker_occupations: list[str | None],
    checks: PairChecks,
    market: Market | None,
) -> PairFeatures:
    """Features of pairs (vacancies[i], jobseekers[i]); arrays align with `checks`."""
    n = len(jobseekers)
    titles = [clean_title(v.title) for v in vacancies]
    wants = [clean_title(j.desired_occupation) for j in jobseekers]
    v_skills = ["; ".join(v.required_skills + v.nice_skills) for v in vacancies]
    j_skills = ["; ".join(j.skills) for j in jobseekers]
    matched, missing, overlap, nice = [], [], np.zeros(n), np.zeros(n)
    casefolds = _per_distinct(
        lambda v: (
            [(s, s.casefold()) for s in v.required_skills],
            [s.casefold() for s in v.nice_skills],
        ),
        vacancies,
        key=id,  # records are not hashable
    )
    for i, (j, (required, nice_folded)) in enumerate(zip(jobseekers, casefolds, strict=True)):
        have = {s.casefold() for s in j.skills}
        matched.append([s for s, f in required if f in have])
        missing.append([s for s, f in required if f not in have])
        overlap[i] = len(matched[-1]) / len(required) if required else 1.0
        nice[i] = (
            len([f for f in nice_folded if f in have]) / len(nice_folded) if nice_folded else 0.0
        )
    v_isco = _per_distinct(_isco, vacancy_occupations)
    j_isco = _per_distinct(_isco, jobseeker_occupations)
    same_occ = np.array(
        [
            a is not None and a == b
            for a, b in zip(vacancy_occupations, jobseeker_occupations, strict=True)
        ]
    )
    regions = _per_distinct(_region, vacancies, key=id)
    tension = _per_distinct(
        lambda key: market.tension(occupation_group(key[0]), key[1]) if market else None,
        list(zip(vacancy_occupations, regions, strict=True)),
    )
    radius = np.array([max(j.max_travel_km, 1.0) for j in jobseekers])
    edu_need = np.array(
        [EDUCATION_RANK[v.min_education] if v.min_education else 0 for v in vacancies]
    )
    edu_have = np.array([EDUCATION_RANK[j.education] for j in jobseekers])
    hours = np.array([j.hours_per_week for j in jobseekers])
    hours_short = np.maximum(0.0, np.array([v.hours_min for v in vacancies]) - hours)
    text_only, cv_overlap = _cv_skills(vacancies, jobseekers, matched, missing)
    asked = np.array(_per_distinct(lambda v: years_asked(v.title, v.description), vacancies, id))
    facts = [cv_facts(j.cv_text) for j in jobseekers]
    years = np.array([f.experience_years for f in facts], dtype=float)
    cares = np.array([f.cares_for_children for f in facts], dtype=bool)
    cols = {
        "semantic": np.asarray(similarity, dtype=float),
        "title_sim": pair_similarity(titles, wants, recurring=True),
        "skill_sim": pair_similarity(v_skills, j_skills),
        "skill_overlap": overlap,
        "cv_skill_overlap": cv_overlap,
        "nice_overlap": nice,
        "same_occupation": same_occ,
        "same_isco_unit": _prefix_equal(v_isco, j_isco, 4),
        "same_isco_minor": _prefix_equal(v_isco, j_isco, 3),
        "same_isco_submajor": _prefix_equal(v_isco, j_isco, 2),
        "distance_km": checks.distance_km,
        "distance_ratio": checks.distance_km / radius,
        "same_region": checks.same_region,
        "log_tension": np.log([t if t else 1.0 for t in tension]),
        "unemployment_phase": unemployment_phase([j.months_unemployed for j in jobseekers]),
        "education_gap": np.clip(edu_have - edu_need, -4, 4),
        "experience_years": np.minimum(years, 20),
        "experience_short": np.maximum(0.0, asked - years) * (asked > 0),
        "senior_experience": np.log2(1 + np.minimum(years, 20)) * (asked > 0),
        "hours_short": hours_short,
        "care_hours_short": hours_short * cares,
        "hours_excess": np.maximum(0.0, hours - np.array([v.hours_max for v in vacancies])),
        "licence_ok": checks.licence_ok,
    }
    X = (
        np.column_stack([np.asarray(cols[f], dtype=float) for f in FEATURE_NAMES])
        if n
        else (np.zeros((0, len(FEATURE_NAMES))))
    )
    return PairFeatures(X, matched, missing, tension, text_only, asked)


def _cv_skills(
    vacancies: list[Vacancy],
    jobseekers: list[Jobseeker],
    matched: list[list[str]],
    missing: list[list[str]],
) -> tuple[list[list[str]], np.ndarray]:
    """Required skills named in the CV text but not listed, and the share of required skills
    that are listed or named in the CV (`text_facts.named_in`, with each vacancy's skills
    folded once rather than once per candidate)."""
    text_only, share = [], np.ones(len(jobseekers))
    forms = _per_distinct(lambda v: {s: folded(s) for s in v.required_skills}, vacancies, id)
    for i, (v, j, form) in enumerate(zip(vacancies, jobseekers, forms, strict=True)):
        cv = folded(j.cv_text) if missing[i] else ""  # no CV read when all are listed
        text_only.append([s for s in missing[i] if form[s] in cv])
        if v.required_skills:
            share[i] = (len(set(matched[i])) + len(text_only[-1])) / len(v.required_skills)
    return text_only, share


def _per_distinct(
    f: Callable[[Any], Any], items: list, key: Callable[[Any], Hashable] | None = None
) -> list:
    """[f(x) for x in items], computed once per distinct key (default: the item itself; a
    shortlist has one vacancy, so mostly one call)."""
    keys = items if key is None else list(map(key, items))
    if len(set(keys)) == 1:
        return [f(items[0])] * len(items)
    memo: dict[Hashable, Any] = {}
    out = []
    for x, k in zip(items, keys, strict=True):
        if k not in memo:
            memo[k] = f(x)
        out.append(memo[k])
    return out


def _region(v: Vacancy) -> str:
    from matching.geo import geography

    return geography().region_of(v.postcode)
