"""Facts read from CV and vacancy text: by hand, never failing on any text, and read once at
ingest (the store hands them back with the record)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text as sql

from matching.records import Kind
from matching.store import Store
from matching.text_facts import (
    MAX_YEARS,
    CvFacts,
    cares_for_children,
    cv_facts,
    experience_years,
    named_in,
    years_asked,
)
from tests.factories import jobseeker


def test_experience_is_read_from_stated_years_or_else_from_spans():
    assert experience_years("Ik ben kok met 12 jaar werkervaring.") == 12
    assert experience_years("Van 2018 tot 2023 werkte ik als kok.") == 5
    assert experience_years("2015-2016: schoonmaker. Na 3 jaar als kok ...") == 3
    assert experience_years("Betrouwbare en leergierige kok.") == 0
    assert experience_years("Ik ben 120 jaar oud") == 0  # not a plausible career


def test_care_and_asked_experience():
    assert cares_for_children("Ik combineer werk met de zorg voor mijn kinderen.")
    assert not cares_for_children("Ik werk graag in een team.")
    assert years_asked("Kok", "Je hebt minimaal 5 jaar ervaring als kok.") == 5
    assert years_asked("Senior kok", "Wij zoeken een kok.") == 3
    assert years_asked("Kok (m/v)", "Wij zoeken een kok.") == 0


def test_skills_named_in_text_ignore_case_and_spacing():
    cv = "Ik beheers onder andere: HACCP,  Sociale   Hygiëne en kassawerk."
    assert named_in(["haccp", "sociale hygiëne", "heftruck"], cv) == [True, True, False]


@given(st.text(max_size=400))
def test_readers_never_fail_and_stay_in_range(text):
    assert 0 <= experience_years(text) <= MAX_YEARS
    assert 0 <= years_asked(text, text) <= MAX_YEARS
    assert isinstance(cares_for_children(text), bool)
    assert cv_facts(text) == CvFacts(experience_years(text), cares_for_children(text))
    assert named_in([text], text) == [True] if text.strip() else True


def test_the_facts_a_shortlist_reads_are_those_stored_at_ingest(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'werkmatch.db'}")
    cv = "Lasser met 7 jaar ervaring in de scheepsbouw; ik zorg voor mijn kinderen."
    (rowid,) = store.upsert([jobseeker(cv_text=cv)])
    with store.engine.begin() as conn:
        stored = conn.execute(sql("SELECT experience_years, cares_for_children FROM jobseekers"))
        assert [(y, bool(c)) for y, c in stored] == [(7, True)]
        conn.execute(sql("UPDATE jobseekers SET experience_years = 3, cares_for_children = 0"))
    records, _ = store.with_occupations(Kind.JOBSEEKERS, [rowid])
    # what the store handed over, not a second reading of the text
    assert cv_facts(records[rowid].cv_text) == CvFacts(3, False)
