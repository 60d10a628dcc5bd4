"""Pair features on hand-made pairs, labour-market tension, and the lexical model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.features import FEATURE_NAMES, pair_features
from matching.filters import check_pairs
from matching.labour_market import Market, tension_class, unemployment_phase
from matching.lexical import (
    CHAR_GRAMS,
    SparseRows,
    clean_title,
    fit_by_words,
    pair_similarity,
    transform,
    vectorizer,
    vocabulary_texts,
)
from tests.factories import FORKLIFT_URI, jobseeker, vacancy

COOK_URI = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"


def features(v, people, sims=None, v_uri=FORKLIFT_URI, j_uris=None, market=None):
    checks = check_pairs([v] * len(people), people)
    return pair_features(
        [v] * len(people),
        people,
        np.asarray(sims if sims is not None else [0.8] * len(people)),
        [v_uri] * len(people),
        j_uris or [FORKLIFT_URI] * len(people),
        checks,
        market,
    )


def test_distance_and_region():
    f = features(
        vacancy(postcode="3012"),
        [jobseeker(postcode="3012"), jobseeker(postcode="9711", max_travel_km=250)],
    )
    d = f.column("distance_km")
    assert d[0] == pytest.approx(0.0, abs=1e-6) and 190 < d[1] < 215  # Rotterdam-Groningen
    assert f.column("distance_ratio")[1] == pytest.approx(d[1] / 250)
    assert f.column("same_region").tolist() == [1.0, 0.0]


def test_licence_hours_education():
    v = vacancy(required_licences=["C"], hours_min=32, hours_max=36, min_education="mbo3")
    f = features(
        v,
        [
            jobseeker(licences=["CE"], hours_per_week=40, education="mbo4"),
            jobseeker(licences=["B"], hours_per_week=24, education="vmbo"),
        ],
    )
    assert f.column("licence_ok").tolist() == [1.0, 0.0]
    assert f.column("hours_short").tolist() == [0.0, 8.0]
    assert f.column("hours_excess").tolist() == [4.0, 0.0]
    assert f.column("education_gap").tolist() == [1.0, -1.0]  # NLQF 4 vs 3; 2 vs 3


def test_skills_present_and_missing():
    v = vacancy(
        required_skills=["heftruckcertificaat", "VCA basis", "reachtruck"], nice_skills=["Excel"]
    )
    f = features(v, [jobseeker(skills=["vca basis", "Heftruckcertificaat", "Excel"])])
    assert f.column("skill_overlap")[0] == pytest.approx(2 / 3)
    assert f.column("nice_overlap")[0] == 1.0
    assert f.matched_skills[0] == ["heftruckcertificaat", "VCA basis"]
    assert f.missing_skills[0] == ["reachtruck"]


def test_occupation_levels():
    f = features(vacancy(), [jobseeker(), jobseeker()], j_uris=[FORKLIFT_URI, COOK_URI])
    assert f.column("same_occupation").tolist() == [1.0, 0.0]
    assert f.column("same_isco_unit").tolist() == [1.0, 0.0]
    unknown = features(vacancy(), [jobseeker()], j_uris=[None])
    assert unknown.column("same_isco_submajor")[0] == 0.0


def test_unemployment_phase_and_tension():
    assert unemployment_phase([0, 2, 3, 5, 6, 11, 12, 40]).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [tension_class(x) for x in (0.1, 0.25, 1.0, 1.5, 3.9, 4.0)] == [
        "zeer ruim",
        "ruim",
        "gemiddeld",
        "krap",
        "krap",
        "zeer krap",
    ]
    import polars as pl

    market = Market(pl.DataFrame({"group": ["83"], "region": ["AM22"], "tension": [5.0]}))
    f = features(vacancy(), [jobseeker()], market=market)
    assert f.column("log_tension")[0] == pytest.approx(np.log(5.0))
    assert f.tension == [5.0]


def test_no_protected_attributes_among_features():
    assert not {"age", "age_band", "gender", "nationality", "benefit"} & set(FEATURE_NAMES)
    young = features(vacancy(), [jobseeker(age_band="15-26")]).X
    old = features(vacancy(), [jobseeker(age_band="55-67")]).X
    assert np.array_equal(young, old)


def test_title_cleaning_and_lexical_similarity():
    assert clean_title("Heftruckchauffeur (m/v/x) 32-40 uur - Rotterdam") == "heftruckchauffeur"
    assert clean_title("Ervaren Medior Kok (M/V) regio Utrecht") == "kok"
    sims = pair_similarity(
        ["heftruckchauffeur", "heftruckchauffeur"], ["heftruck chauffeur", "verpleegkundige"]
    )
    assert sims[0] > 0.6 > 0.2 > sims[1]


def assert_same_fit(ours: TfidfVectorizer, reference: TfidfVectorizer) -> None:
    assert ours.vocabulary_ == reference.vocabulary_
    assert ours.idf_.dtype == reference.idf_.dtype == np.float32
    assert np.array_equal(ours.idf_, reference.idf_)


def test_the_served_vectorizer_is_scikit_learns_fit_on_the_esco_labels():
    """Fitted word by word, it is the model scikit-learn fits: every n-gram at its column and
    every weight to the bit."""
    texts = vocabulary_texts()
    assert len(texts) > 20_000
    reference = TfidfVectorizer(**CHAR_GRAMS, dtype=np.float32).fit(texts)
    assert_same_fit(vectorizer(), reference)
    sample = [*texts[::500], "Heftruckchauffeur (m/v) 32-40 uur", "  ", "ÉÉN  twee\tdrie"]
    assert (vectorizer().transform(sample) != reference.transform(sample)).nnz == 0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("abcAB éİß-\t\n\u00a0"), max_size=12), max_size=12)
)
def test_fitting_word_by_word_is_scikit_learns_fit(texts: list[str]):
    """Any texts (repeated words, case, several kinds of space, words shorter than an
    n-gram): the same vocabulary and weights, or refused as scikit-learn refuses them."""
    try:
        reference = TfidfVectorizer(**CHAR_GRAMS, dtype=np.float32).fit(texts)
    except ValueError:
        with pytest.raises(ValueError):
            fit_by_words(texts)
        return
    assert_same_fit(fit_by_words(texts), reference)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=60), min_size=1, max_size=6)
)
def test_fast_lexical_rows_equal_the_vectorizer(texts: list[str]):
    """The word-cached TF-IDF equals scikit-learn's transform on any text."""
    expected = vectorizer().transform(texts).toarray()
    assert np.allclose(transform(texts).toarray(), expected, rtol=1e-6, atol=1e-7)
    assert transform([]).shape == (0, expected.shape[1])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(alphabet="abcdefghij ;-", max_size=40), min_size=1, max_size=5),
    st.lists(st.text(alphabet="abcdefghij ;-", max_size=40), min_size=1, max_size=5),
)
def test_pair_similarity_is_the_cosine_of_the_vectorizer_rows(left: list[str], right: list[str]):
    """One left text against many (a shortlist) and pairwise give scikit-learn's cosine,
    also from rows kept for recurring texts (asked twice: transformed, then remembered)."""
    n = min(len(left), len(right))
    rows = vectorizer().transform(left[:n] + right[:n]).toarray()
    expected = (rows[:n] * rows[n:]).sum(axis=1)
    one = vectorizer().transform(left[:1]).toarray()[0]
    for recurring in (False, True, True):
        got = pair_similarity(left[:n], right[:n], recurring=recurring)
        assert np.allclose(got, expected, atol=1e-6)
        assert np.allclose(
            pair_similarity(left[:1] * len(right), right, recurring=recurring),
            vectorizer().transform(right).toarray() @ one,
            atol=1e-6,
        )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(alphabet="abcdefghij kok", max_size=30), max_size=6),
    st.lists(st.text(alphabet="abcdefghij kok", max_size=30), max_size=6),
)
def test_sparse_rows_score_like_the_sparse_product(corpus: list[str], queries: list[str]):
    """Title scoring's char signal (torch's CSR kernel) equals scipy's product, empty sides too."""
    rows, asked = transform(corpus), transform(queries)
    got = SparseRows(rows).scores(asked)
    assert got.shape == (len(queries), len(corpus)) and got.dtype == np.float32
    assert got.flags.c_contiguous
    assert np.allclose(got, (asked @ rows.T).toarray(), atol=1e-6)
