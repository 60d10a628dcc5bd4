"""Factories of valid records for tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from matching.records import Jobseeker, Vacancy

# A real ESCO occupation: heftruckchauffeur (ISCO 8344).
FORKLIFT_URI = "http://data.europa.eu/esco/occupation/eeac6251-1974-42f5-91ed-513c6c883755"


def jobseeker(**overrides: Any) -> Jobseeker:
    data: dict[str, Any] = {
        "id": "WZ-T1",
        "cv_text": (
            "Ervaren heftruckchauffeur met VCA en heftruckcertificaat, tien jaar magazijnwerk."
        ),
        "desired_occupation": "heftruckchauffeur",
        "skills": ["heftruckcertificaat", "VCA basis", "orderpicken"],
        "education": "mbo2",
        "licences": ["B"],
        "postcode": "3011",  # Rotterdam centrum
        "max_travel_km": 25,
        "hours_per_week": 38,
        "months_unemployed": 4,
        "benefit": "WW",
    }
    data.update(overrides)
    return Jobseeker.model_validate(data)


def vacancy(**overrides: Any) -> Vacancy:
    data: dict[str, Any] = {
        "id": "VAC-T1",
        "employer": "Van der Linden Logistiek B.V.",
        "title": "Heftruckchauffeur (m/v)",
        "description": "Voor ons distributiecentrum zoeken wij een heftruckchauffeur met VCA.",
        "required_skills": ["heftruckcertificaat", "VCA basis"],
        "postcode": "3012",
        "hours_min": 32,
        "hours_max": 40,
        "posted_date": dt.date(2026, 11, 1),
    }
    data.update(overrides)
    return Vacancy.model_validate(data)
