"""Facts read from free text: years of experience and care duties in a CV, the experience a
vacancy asks for, and which of a vacancy's skills a CV mentions.

Profiles list only part of what people can do; CVs and vacancy texts say more. These readers
are deliberately simple and predictable (a matchmaker can check them against the text), are
cached per text, and never fail: text that says nothing gives 0 / False.

A CV's facts are read once, at ingest: the store keeps them beside the record and hands them
back with it (`remember_cv_facts`), so a shortlist of 500 candidates reads no CV text for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from matching.fifo import FifoCache

_YEARS = re.compile(r"\b(\d{1,2})\s+jaar\b", re.IGNORECASE)
_SPAN = re.compile(r"\b((?:19|20)\d{2})\s*(?:-|tot|t/m)\s*((?:19|20)\d{2})\b")
_MINIMUM = re.compile(r"\bminimaal\s+(\d{1,2})\s+jaar\b", re.IGNORECASE)
_SENIOR_TITLE = re.compile(r"\b(senior|ervaren)\b", re.IGNORECASE)
_CARE = re.compile(
    r"\b(kinderen|kind|schooltijden|alleenstaande ouder|mantelzorg|zorgtaken)\b", re.IGNORECASE
)
MAX_YEARS = 45


@dataclass(frozen=True)
class CvFacts:
    """What a CV's text says beyond the profile: years of experience, care for children."""

    experience_years: int
    cares_for_children: bool


_CV_FACTS: FifoCache[str, CvFacts] = FifoCache(65_536)


def cv_facts(cv_text: str) -> CvFacts:
    """The facts of a CV text: as the store handed them over, else read now (and kept)."""
    known = _CV_FACTS.get(cv_text)
    if known is None:
        known = CvFacts(experience_years(cv_text), cares_for_children(cv_text))
        _CV_FACTS[cv_text] = known
    return known


def remember_cv_facts(cv_text: str, facts: CvFacts) -> None:
    """Facts read at ingest and stored with the record, so that `cv_facts` need not read."""
    _CV_FACTS[cv_text] = facts


def experience_years(cv_text: str) -> int:
    """Years of work experience a CV states ("12 jaar"), else the longest "2019 tot 2023"
    span; 0 when the text says neither."""
    stated = [int(y) for y in _YEARS.findall(cv_text) if 0 < int(y) <= MAX_YEARS]
    if stated:
        return max(stated)
    spans = [int(b) - int(a) for a, b in _SPAN.findall(cv_text) if int(b) - int(a) >= 0]
    return min(max(spans), MAX_YEARS) if spans else 0


def cares_for_children(cv_text: str) -> bool:
    """Whether a CV says its author cares for children (which limits the hours they can work)."""
    return _CARE.search(cv_text) is not None


@lru_cache(maxsize=16_384)
def years_asked(title: str, description: str) -> int:
    """The years of experience a vacancy asks for: "minimaal 5 jaar" in its text, 3 for a
    "senior" or "ervaren" title without a number, else 0 (no experience asked for)."""
    asked = [int(y) for y in _MINIMUM.findall(description) if int(y) <= MAX_YEARS]
    if asked:
        return max(asked)
    return 3 if _SENIOR_TITLE.search(title) else 0


@lru_cache(maxsize=262_144)
def folded(text: str) -> str:
    """The text as `named_in` compares it: case-folded, whitespace runs as one space."""
    return " ".join(text.casefold().split())


def named_in(skills: list[str], text: str) -> list[bool]:
    """Per skill: whether the text names it (case- and whitespace-insensitive)."""
    whole = folded(text)
    return [folded(s) in whole for s in skills]
