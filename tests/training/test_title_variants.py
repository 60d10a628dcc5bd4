"""Noisy title forms: cleaned like every title, reproducible, and each one a real change."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.lexical import cleaned_title
from training.title_variants import (
    compound_split,
    gendered_form,
    loanword_form,
    typo,
    variants,
    with_noise,
    word_vocabulary,
)

VOCABULARY = word_vocabulary(["vrachtwagen chauffeur", "bedrijf leider", "klanten service"])
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzë-", min_size=1, max_size=14)
titles = st.lists(words, min_size=1, max_size=4).map(" ".join)


def _damerau_one(a: str, b: str) -> bool:
    """Whether b is a with one letter dropped, inserted, replaced or two neighbours swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    return len(long_) - len(short) == 1 and any(
        long_[:k] + long_[k + 1 :] == short for k in range(len(long_))
    )


@settings(max_examples=200, deadline=None)
@given(titles, st.integers(0, 2**32 - 1))
def test_forms_are_cleaned_distinct_new_and_reproducible(title, seed):
    forms = variants(title, np.random.default_rng(seed), VOCABULARY)
    assert forms == variants(title, np.random.default_rng(seed), VOCABULARY)
    assert len(set(forms)) == len(forms)
    assert all(f and cleaned_title(f) == f != cleaned_title(title) for f in forms)


@settings(max_examples=200, deadline=None)
@given(titles, st.integers(0, 2**32 - 1))
def test_a_typo_is_one_edit_that_keeps_every_first_letter(title, seed):
    wrong = typo(title, np.random.default_rng(seed))
    if wrong is None:
        assert not any(len(w) >= 4 and w.isalpha() for w in title.lower().split())
        return
    right = title.lower().split()
    assert [w[0] for w in wrong.split()] == [w[0] for w in right]
    changed = [(a, b) for a, b in zip(right, wrong.split(), strict=True) if a != b]
    assert len(changed) <= 1 and all(_damerau_one(a, b) for a, b in changed)


@given(st.sampled_from(sorted(VOCABULARY)), st.sampled_from(sorted(VOCABULARY)), titles)
def test_a_compound_split_only_inserts_a_space_between_known_words(head, tail, rest):
    title = f"{head}{tail} {rest}"
    split = compound_split(title, VOCABULARY)
    assert split is not None and split.replace(" ", "") == title.lower().replace(" ", "")
    first, second = split.split()[:2]
    assert second in VOCABULARY and (first in VOCABULARY or first[:-1] in VOCABULARY)


def test_examples_of_each_kind():
    rng = np.random.default_rng(0)
    assert gendered_form("medewerker") == "medewerker/ster"
    assert gendered_form("directeur") == "directeur/directrice"
    assert gendered_form("leraar basisonderwijs") is None  # the last word has no rule
    assert gendered_form("accountmanager") is None  # English: no Dutch female form
    assert loanword_form("verkoopmedewerker") == "sales medewerker"
    assert loanword_form("medewerker klantenservice") == "medewerker customer service"
    assert loanword_form("kok") is None
    assert compound_split("vrachtwagenchauffeur", VOCABULARY) == "vrachtwagen chauffeur"
    assert compound_split("bedrijfsleider", VOCABULARY) == "bedrijfs leider"  # linking s
    assert compound_split("kok", VOCABULARY) is None
    noisy = with_noise("kok", rng)
    assert "kok" in noisy.split() and noisy != "kok"
    assert "kok" not in variants("kok", rng, VOCABULARY)
