"""Facts read from CV and vacancy text: by hand, and never failing on any text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matching.text_facts import (
    MAX_YEARS,
    cares_for_children,
    experience_years,
    named_in,
    years_asked,
)


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
    assert named_in([text], text) == [True] if text.strip() else True
