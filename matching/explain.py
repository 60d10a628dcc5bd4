"""Per-criterion explanations in Dutch: value, pass/fail, contribution to the score, reason."""

from __future__ import annotations

import numpy as np

from matching.features import CRITERIA, CRITERION_OF, FEATURE_NAMES, PairFeatures
from matching.filters import HOURS_TOLERANCE, PairChecks
from matching.geo import geography
from matching.labour_market import PHASES, tension_class
from matching.occupations import LOW_CONFIDENCE
from matching.records import UNKNOWN_OCCUPATION, Jobseeker, Occupation, Vacancy
from matching.shortlist import Criterion
from matching.taxonomy import taxonomy


def criterion_contributions(contrib_row: np.ndarray) -> dict[str, float]:
    """Sum per-feature contributions per criterion."""
    out = dict.fromkeys(CRITERIA, 0.0)
    for name, value in zip(FEATURE_NAMES, contrib_row, strict=True):
        out[CRITERION_OF[name]] += float(value)
    return out


def explain_pair(
    v: Vacancy,
    j: Jobseeker,
    feats: PairFeatures,
    checks: PairChecks,
    i: int,
    contributions: dict[str, float],
    occupations: tuple[Occupation, Occupation] = (UNKNOWN_OCCUPATION, UNKNOWN_OCCUPATION),
) -> list[Criterion]:
    """Every criterion of pair i, in a fixed order, with its contribution; `occupations`
    are the vacancy's and the jobseeker's resolved occupations."""
    x = dict(zip(FEATURE_NAMES, feats.X[i], strict=True))
    c = contributions
    geo, tax = geography(), taxonomy()
    out: list[Criterion] = []

    def add(name: str, value: str, passed: bool | None, reason: str) -> None:
        out.append(Criterion(name, value, passed, c.get(name, 0.0), reason))

    sim = x["semantic"]
    add(
        "inhoud",
        f"{sim:.2f}",
        None,
        f"Cv en vacature lijken inhoudelijk {'sterk ' if sim >= 0.85 else ''}op elkaar "
        f"(cosinus {sim:.2f})",
    )
    add(
        "functietitel",
        f"{x['title_sim']:.2f}",
        None,
        f"Gewenst beroep '{j.desired_occupation}' naast vacaturetitel '{v.title}'",
    )
    matched, in_cv = feats.matched_skills[i], feats.in_cv_only[i]
    missing = [s for s in feats.missing_skills[i] if s not in in_cv]
    skills = f"{len(matched) + len(in_cv)} van {len(v.required_skills)} gevraagde vaardigheden"
    reason = skills + (f" in profiel: {', '.join(matched)}" if matched else " in profiel")
    if in_cv:
        reason += f"; alleen in cv genoemd: {', '.join(in_cv)}"
    if missing:
        reason += f"; niet gevonden: {', '.join(missing)}"
    add("vaardigheden", skills, not missing if v.required_skills else None, reason)
    v_occ, j_occ = (tax.get(o.uri) if o.uri else None for o in occupations)
    if v_occ and j_occ:
        if v_occ.uri == j_occ.uri:
            text = f"Zelfde beroep: {v_occ.label} (ISCO {v_occ.isco})"
        elif v_occ.isco == j_occ.isco:
            text = (
                f"Verwant beroep in dezelfde beroepsgroep ISCO {v_occ.isco} "
                f"({tax.isco_label(v_occ.isco)}): {j_occ.label}"
            )
        elif v_occ.isco[:2] == j_occ.isco[:2]:
            text = (
                f"Beroep in hetzelfde beroepsveld ({tax.isco_label(v_occ.isco[:2])}): {j_occ.label}"
            )
        else:
            text = f"Ander beroep: {j_occ.label} (ISCO {j_occ.isco}) voor {v_occ.label}"
        doubts = [
            f"{side} afgeleid met lage zekerheid ({o.confidence:.2f}), niet meegewogen"
            for side, o in zip(("vacaturetitel", "gewenst beroep"), occupations, strict=True)
            if o.confidence < LOW_CONFIDENCE
        ]
        if doubts:
            text += "; " + "; ".join(doubts)
        add("beroep", j_occ.label, None, text)
    else:
        add(
            "beroep",
            j_occ.label if j_occ else "onbekend",
            None,
            "Beroep niet vast te stellen aan " + ("vacaturezijde" if not v_occ else "cv-zijde"),
        )
    d, radius = float(checks.distance_km[i]), j.max_travel_km
    within = bool(checks.distance_ok[i])
    add(
        "afstand",
        f"{d:.0f} km",
        within,
        f"Woont op {d:.0f} km, {'binnen' if within else 'buiten'} de gewenste reisafstand "
        f"van {radius:.0f} km",
    )
    region = geo.region_names.get(geo.region_of(j.postcode), "")
    v_region = geo.region_names.get(geo.region_of(v.postcode), "")
    add(
        "regio",
        region,
        None,
        f"Woont in arbeidsmarktregio {region}, dezelfde als de vacature"
        if checks.same_region[i]
        else f"Woont in arbeidsmarktregio {region}; de vacature ligt in {v_region}",
    )
    t = feats.tension[i]
    if t is None:
        add("arbeidsmarkt", "onbekend", None, "Spanning voor dit beroep en deze regio onbekend")
    else:
        cls = tension_class(t)
        add("arbeidsmarkt", cls, None, f"Beroepsgroep {cls} in regio {v_region} (spanning {t:.2f})")
    phase = int(x["unemployment_phase"])
    add(
        "werkloosheidsduur",
        PHASES[phase],
        None,
        f"Werkzoekend sinds {j.months_unemployed} maanden ({PHASES[phase]})",
    )
    gap = int(x["education_gap"])
    need = v.min_education.value if v.min_education else None
    add(
        "opleiding",
        j.education.value,
        gap >= 0 if need else None,
        f"Opleiding {j.education.value}"
        + (f", gevraagd minimaal {need}" if need else "")
        + (" (lager dan gevraagd)" if need and gap < 0 else ""),
    )
    add("ervaring", *_experience(x, int(feats.years_asked[i])))
    hours_ok = bool(checks.hours_ok[i])
    short = "" if hours_ok else f" (meer dan {HOURS_TOLERANCE:g} uur tekort)"
    add(
        "uren",
        f"{j.hours_per_week:g} uur",
        hours_ok,
        f"Wil {j.hours_per_week:g} uur werken; de vacature vraagt "
        f"{v.hours_min:g}-{v.hours_max:g} uur" + short,
    )
    lack = checks.missing_licences[i]
    need_lic = [lic.value for lic in v.required_licences]
    if need_lic or lack:
        text = (
            ("rijbewijs " + ", ".join(need_lic) + " aanwezig")
            if not lack
            else ("rijbewijs " + ", ".join(lack) + " ontbreekt")
        )
        add("rijbewijs", text, not lack, text[0].upper() + text[1:])
    else:
        add("rijbewijs", "niet gevraagd", None, "Geen rijbewijs gevraagd")
    if j.available_from is not None:
        ok = bool(checks.available_ok[i])
        add(
            "beschikbaarheid",
            j.available_from.isoformat(),
            ok,
            f"Beschikbaar vanaf {j.available_from:%d-%m-%Y}"
            + ("" if ok else " (later dan de gevraagde termijn)"),
        )
    return out


def _experience(x: dict[str, float], asked: int) -> tuple[str, bool | None, str]:
    """Value, pass and reason of the experience criterion (years read from the CV text)."""
    years = int(x["experience_years"])
    said = f"Cv noemt {years} jaar werkervaring" if years else "Cv noemt geen jaren werkervaring"
    if not asked:
        return f"{years} jaar", None, said
    enough = years >= asked
    return (
        f"{years} jaar",
        None,
        f"{said}; de vacature vraagt minimaal {asked} jaar"
        + ("" if enough else f" ({asked - years} jaar minder)"),
    )
