"""Hard filters on (vacancy, jobseeker) pairs: licences, travel distance, hours, availability."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from matching.geo import geography, haversine_km
from matching.records import Jobseeker, Licence, Vacancy, licence_closure

HOURS_TOLERANCE = 4.0  # a jobseeker may offer this many hours fewer than the vacancy's minimum
AVAILABILITY_WINDOW_DAYS = 60  # available within this many days of the query date


@dataclass(frozen=True)
class Overrides:
    """A matchmaker's overrides of the filters for one query."""

    max_distance_km: float | None = None
    required_licences: tuple[Licence, ...] | None = None
    regions: tuple[str, ...] | None = None
    min_hours: float | None = None  # hours a candidate must offer, instead of the vacancy's minimum


@dataclass
class PairChecks:
    """Per-pair filter outcomes and the measurements behind them (arrays of equal length)."""

    distance_km: np.ndarray
    licence_ok: np.ndarray
    missing_licences: list[list[str]]
    distance_ok: np.ndarray
    hours_ok: np.ndarray
    available_ok: np.ndarray
    region_ok: np.ndarray
    same_region: np.ndarray
    passed: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.passed = (
            self.licence_ok & self.distance_ok & self.hours_ok & self.available_ok & self.region_ok
        )

    def failed_counts(self) -> dict[str, int]:
        """How many pairs each filter removed (a pair may fail several)."""
        return {
            "licence": int((~self.licence_ok).sum()),
            "distance": int((~self.distance_ok).sum()),
            "hours": int((~self.hours_ok).sum()),
            "availability": int((~self.available_ok).sum()),
            "region": int((~self.region_ok).sum()),
        }


def check_pairs(
    vacancies: list[Vacancy],
    jobseekers: list[Jobseeker],
    overrides: Overrides | None = None,
    today: dt.date | None = None,
) -> PairChecks:
    """Apply the hard filters to pairs (vacancies[i], jobseekers[i])."""
    if len(vacancies) != len(jobseekers):
        raise ValueError("vacancies and jobseekers must pair up")
    o = overrides or Overrides()
    geo = geography()
    today = today or dt.date.today()
    v_rows = geo.rows([v.postcode for v in vacancies])
    j_rows = geo.rows([j.postcode for j in jobseekers])
    dist = haversine_km(geo.lat[v_rows], geo.lon[v_rows], geo.lat[j_rows], geo.lon[j_rows])
    radius = np.array([j.max_travel_km for j in jobseekers], dtype=float)
    if o.max_distance_km is not None:
        radius = np.minimum(radius, o.max_distance_km)
    missing = []
    for v, j in zip(vacancies, jobseekers, strict=True):
        need = o.required_licences if o.required_licences is not None else v.required_licences
        held = licence_closure(j.licences)
        missing.append([lic.value for lic in need if lic not in held])
    hours = np.array([j.hours_per_week for j in jobseekers], dtype=float)
    hours_min = np.array(
        [v.hours_min if o.min_hours is None else o.min_hours for v in vacancies], dtype=float
    )
    horizon = today + dt.timedelta(days=AVAILABILITY_WINDOW_DAYS)
    available = np.array(
        [j.available_from is None or j.available_from <= horizon for j in jobseekers], dtype=bool
    )
    j_regions = geo.region_codes[j_rows]
    region_ok = (
        np.isin(j_regions, list(o.regions)) if o.regions else np.ones(len(jobseekers), dtype=bool)
    )
    return PairChecks(
        distance_km=dist,
        licence_ok=np.array([not m for m in missing], dtype=bool),
        missing_licences=missing,
        distance_ok=dist <= radius + 1e-9,
        hours_ok=hours >= hours_min - HOURS_TOLERANCE,
        available_ok=available,
        region_ok=region_ok,
        same_region=geo.region_codes[v_rows] == j_regions,
    )
