"""The texts that represent a record to the embedder, and their hashes."""

from __future__ import annotations

import hashlib

from matching.records import Jobseeker, Vacancy


def jobseeker_text(js: Jobseeker) -> str:
    """Desired occupation, skills and CV: what a jobseeker offers."""
    parts = [js.desired_occupation + "."]
    if js.skills:
        parts.append("Vaardigheden: " + ", ".join(js.skills) + ".")
    if js.cv_text:
        parts.append(js.cv_text)
    return " ".join(parts)


def vacancy_text(v: Vacancy) -> str:
    """Title, skills and description: what a vacancy asks."""
    parts = [v.title + "."]
    skills = v.required_skills + v.nice_skills
    if skills:
        parts.append("Gevraagd: " + ", ".join(skills) + ".")
    if v.description:
        parts.append(v.description)
    return " ".join(parts)


def record_text(record: Jobseeker | Vacancy) -> str:
    """The embedding text of either record kind."""
    return jobseeker_text(record) if isinstance(record, Jobseeker) else vacancy_text(record)


def text_hash(text: str) -> str:
    """A stable 128-bit hex digest of a text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
