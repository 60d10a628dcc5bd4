"""Features of the risk of long-term unemployment: known when the profile is taken, binned.

Every feature is a category (a string) read from the jobseeker's record, the labour market
of their desired occupation group in their region, and the open vacancies they could take
(counted with the hard filters: occupation group, travel distance, licences, hours). None is a
protected attribute or stands in for one: age band, years of experience (which grow with age)
and the benefit regime (Wajong is a benefit for people with a disability) are left out on
purpose, and `SOURCES` names the record fields each feature reads, so a test can check it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from matching.filters import HOURS_TOLERANCE
from matching.geo import geography, haversine_km
from matching.labour_market import (
    PHASES,
    Market,
    occupation_group,
    tension_class,
    unemployment_phase,
)
from matching.occupations import LOW_CONFIDENCE
from matching.records import Jobseeker, Kind, Occupation, licence_closure, licence_mask
from matching.schema import TABLES
from matching.store import Store
from matching.taxonomy import taxonomy

FEATURES = (
    "fase",
    "opleiding",
    "uren",
    "reisafstand",
    "rijbewijs",
    "vaardigheden",
    "beroepsgroep",
    "spanning",
    "vacatures_dichtbij",
    "beschikbaar",
)
SOURCES: dict[str, tuple[str, ...]] = {
    "fase": ("months_unemployed",),
    "opleiding": ("education",),
    "uren": ("hours_per_week",),
    "reisafstand": ("max_travel_km",),
    "rijbewijs": ("licences",),
    "vaardigheden": ("skills",),
    "beroepsgroep": ("desired_occupation", "desired_esco_uri"),
    "spanning": ("desired_occupation", "desired_esco_uri", "postcode"),
    "vacatures_dichtbij": ("desired_occupation", "postcode", "max_travel_km", "licences"),
    "beschikbaar": ("available_from",),
}
# Never features: protected, or standing in for a protected attribute.
PROTECTED = frozenset({"age_band", "birth_year", "years_experience", "benefit", "gender"})
EDUCATION_GROUP = {
    "basisonderwijs": "zonder startkwalificatie",
    "vmbo": "zonder startkwalificatie",
    "mbo1": "zonder startkwalificatie",
    "mbo2": "mbo 2-3",
    "mbo3": "mbo 2-3",
    "mbo4": "mbo 4, havo of vwo",
    "havo": "mbo 4, havo of vwo",
    "vwo": "mbo 4, havo of vwo",
    "hbo": "hbo of wo",
    "wo": "hbo of wo",
}


def _bin(value: float, edges: Sequence[float], labels: Sequence[str]) -> str:
    return labels[int(np.searchsorted(np.asarray(edges), value, side="right"))]


@dataclass
class OpenVacancies:
    """Open vacancies' occupation group, place, licences and minimum hours (no text)."""

    group: np.ndarray
    geo_row: np.ndarray
    licence: np.ndarray
    hours_min: np.ndarray

    @classmethod
    def load(cls, store: Store) -> OpenVacancies:
        t = TABLES[Kind.VACANCIES]
        cols = (t.c.postcode, t.c.occupation_uri, t.c.occupation_confidence)
        cols += (t.c.licence_mask, t.c.hours_lo)
        with store.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(t.c.is_open)).all()
        trusted = [u if (c or 0) >= LOW_CONFIDENCE else None for _, u, c, _, _ in rows]
        return cls(
            group=np.array([occupation_group(u) or "" for u in trusted], dtype=object),
            geo_row=geography().rows([r[0] for r in rows]).astype(int),
            licence=np.array([r[3] for r in rows], dtype=np.int64),
            hours_min=np.array([r[4] for r in rows], dtype=float),
        )

    def matchable(self, js: Jobseeker, group: str | None) -> int:
        """Open vacancies of the person's occupation group that pass their hard filters."""
        if group is None or len(self.group) == 0:
            return 0
        geo = geography()
        r = geo.row(js.postcode)
        held = licence_mask(licence_closure(js.licences))
        dist = haversine_km(geo.lat[r], geo.lon[r], geo.lat[self.geo_row], geo.lon[self.geo_row])
        ok = (self.group == group) & (dist <= js.max_travel_km + 1e-9)
        ok &= (self.licence & held) == self.licence
        ok &= js.hours_per_week >= self.hours_min - HOURS_TOLERANCE
        return int(np.count_nonzero(ok))


def _licence(js: Jobseeker) -> str:
    held = {str(x) for x in js.licences}
    if held & {"C", "CE", "C1", "C1E", "D", "DE", "D1", "D1E"}:
        return "vrachtwagen of bus"
    return "B" if held & {"B", "BE"} else "geen auto"


def feature_row(
    js: Jobseeker, occ: Occupation | None, market: Market, vacancies: OpenVacancies, as_of: dt.date
) -> list[str]:
    """The categories of one jobseeker, in FEATURES order."""
    uri = occ.uri if occ is not None and (occ.confidence or 0) >= LOW_CONFIDENCE else None
    group = occupation_group(uri)
    tension = market.tension(group, geography().region_of(js.postcode)) if group else None
    n = vacancies.matchable(js, group)
    soon = js.available_from is None or js.available_from <= as_of + dt.timedelta(days=30)
    return [
        PHASES[int(unemployment_phase(js.months_unemployed))],
        EDUCATION_GROUP[str(js.education)],
        _bin(js.hours_per_week, [20, 32, 36], ["< 20 uur", "20-31 uur", "32-35 uur", "36+ uur"]),
        _bin(
            js.max_travel_km, [10.5, 20.5, 30.5], ["t/m 10 km", "11-20 km", "21-30 km", "> 30 km"]
        ),
        _licence(js),
        _bin(len(js.skills), [3, 5], ["0-2", "3-4", "5 of meer"]),
        group[0] if group else "onbekend",
        tension_class(tension) if tension is not None else "onbekend",
        _bin(n, [1, 3, 10], ["geen", "1-2", "3-9", "10 of meer"]),
        "binnen een maand" if soon else "later",
    ]


def describe(feature: str, value: str) -> str:
    """Dutch wording of a feature's category, for explanations."""
    if feature == "beroepsgroep":
        label = taxonomy().isco_label(value) if value != "onbekend" else None
        return f"Gewenst beroep: {label or 'beroepsgroep onbekend'}"
    return {
        "fase": f"Werkloos: {value}",
        "opleiding": f"Opleiding: {value}",
        "uren": f"Wil {value} per week werken",
        "reisafstand": f"Reist {value}",
        "rijbewijs": f"Rijbewijs: {value}",
        "vaardigheden": f"{value} vaardigheden in het profiel",
        "spanning": f"Arbeidsmarkt voor het gewenste beroep in de regio: {value}",
        "vacatures_dichtbij": f"Passende open vacatures binnen reisafstand: {value}",
        "beschikbaar": f"Beschikbaar {value}",
    }[feature]
