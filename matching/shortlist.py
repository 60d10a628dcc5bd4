"""Shortlists: retrieve by vector, apply hard filters, order, explain per criterion."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matching.filters import HOURS_TOLERANCE, PairChecks
from matching.geo import geography
from matching.records import Jobseeker, Vacancy
from matching.taxonomy import taxonomy


@dataclass
class Criterion:
    """One criterion of a match: its value, whether it passed, its share of the score."""

    name: str
    value: str
    passed: bool | None
    contribution: float
    reason: str


@dataclass
class Match:
    """One ranked counterpart (a jobseeker for a vacancy, or a vacancy for a jobseeker)."""

    id: str
    rank: int
    score: float
    similarity: float
    distance_km: float
    region: str
    title: str
    occupation: dict[str, str | None]
    criteria: list[Criterion]


@dataclass
class Shortlist:
    """A ranked list for one query record, with what retrieval and filters did."""

    query_id: str
    direction: str  # "jobseekers" (for a vacancy) or "vacancies" (for a jobseeker)
    items: list[Match]
    retrieved: int
    passed_filters: int
    filtered_out: dict[str, int]
    model_id: str
    ranker: str = "cosine"
    extra: dict[str, object] = field(default_factory=dict)


def occupation_info(uri: str | None, confidence: float | None = None) -> dict[str, str | None]:
    """ESCO URI, Dutch label and ISCO unit group with its label, where known."""
    occ = taxonomy().get(uri) if uri else None
    if occ is None:
        return {"esco_uri": None, "label": None, "isco": None, "isco_label": None}
    info = {
        "esco_uri": occ.uri,
        "label": occ.label,
        "isco": occ.isco,
        "isco_label": taxonomy().isco_label(occ.isco),
    }
    if confidence is not None:
        info["confidence"] = f"{confidence:.2f}"
    return info


def explain_filters(v: Vacancy, j: Jobseeker, checks: PairChecks, i: int) -> list[Criterion]:
    """Dutch, per-criterion reasons for the hard filters of pair i."""
    geo = geography()
    d = float(checks.distance_km[i])
    out = []
    within = bool(checks.distance_ok[i])
    out.append(
        Criterion(
            "afstand",
            f"{d:.0f} km",
            within,
            0.0,
            f"Woont op {d:.0f} km, {'binnen' if within else 'buiten'} de gewenste reisafstand "
            f"van {j.max_travel_km:.0f} km",
        )
    )
    region = geo.region_names.get(geo.region_of(j.postcode), "")
    out.append(
        Criterion(
            "regio",
            region,
            None,
            0.0,
            f"{'Zelfde' if checks.same_region[i] else 'Andere'} arbeidsmarktregio ({region})",
        )
    )
    missing = checks.missing_licences[i]
    need = [lic.value for lic in v.required_licences]
    if need or missing:
        text = (
            ("rijbewijs " + ", ".join(need) + " aanwezig")
            if not missing
            else ("rijbewijs " + ", ".join(missing) + " ontbreekt")
        )
        out.append(Criterion("rijbewijs", text, not missing, 0.0, text[0].upper() + text[1:]))
    hours_ok = bool(checks.hours_ok[i])
    short = "" if hours_ok else f" (meer dan {HOURS_TOLERANCE:g} uur tekort)"
    out.append(
        Criterion(
            "uren",
            f"{j.hours_per_week:g} uur",
            hours_ok,
            0.0,
            f"Wil {j.hours_per_week:g} uur werken; de vacature vraagt "
            f"{v.hours_min:g}-{v.hours_max:g} uur" + short,
        )
    )
    if j.available_from is not None:
        ok = bool(checks.available_ok[i])
        out.append(
            Criterion(
                "beschikbaarheid",
                j.available_from.isoformat(),
                ok,
                0.0,
                f"Beschikbaar vanaf {j.available_from:%d-%m-%Y}"
                + ("" if ok else " (later dan de gevraagde termijn)"),
            )
        )
    return out


def top_passing(scores: np.ndarray, passed: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best-scoring candidates that passed the filters, best first."""
    idx = np.flatnonzero(passed)
    order = np.argsort(-scores[idx], kind="stable")
    return idx[order[:k]]
