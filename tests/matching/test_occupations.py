"""Titles to ESCO occupations: noise, typos, nonsense, and the generic title ranker."""

from __future__ import annotations

import hashlib
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.lexical import cleaned_title
from matching.occupations import (
    LOW_CONFIDENCE,
    OccupationIndex,
    esco_labels,
    label_vectors,
    safe_normalise,
)
from matching.titles import Decompounder, EmptyTitleError, TitleRanker


@pytest.fixture(scope="module")
def index(embedder) -> OccupationIndex:
    return OccupationIndex(embedder)


@pytest.mark.parametrize(
    ("title", "isco"),
    [
        ("Heftruckchauffeur (m/v/x) 32-40 uur - Rotterdam", "8344"),
        ("HEFTRUCKCHAUFFEUR", "8344"),
        ("Heftruckchaufeur", "8344"),  # typo
        ("Vrachtwagenchauffeur CE regio Utrecht", "8332"),
        ("Ervaren kok (m/v)", "5120"),
        ("kassamedewerker parttime", "5230"),
    ],
)
def test_noisy_titles_find_their_occupation(index, title, isco):
    (match,) = index.normalise([title])
    assert match is not None and match.isco == isco, match
    assert match.trusted and 0 < match.confidence <= 1


@pytest.mark.parametrize(
    "title", ["asdfgh qwerty", "zzzz", "bla bla", "!!!", "", "(m/v)", "32-40 uur"]
)
def test_nonsense_and_empty_titles_give_an_explicit_no_match(index, title):
    assert safe_normalise(index, [title]) == [None]


def test_empty_title_is_a_clear_error(index):
    with pytest.raises(EmptyTitleError, match="no job title"):
        index.normalise(["  (m/v)  "])


def test_ambiguous_titles_are_flagged(index):
    (match,) = index.normalise(["Logistiek medewerker (m/v)"])
    assert match is not None and match.confidence < 0.9
    assert len(match.alternatives) == 3
    assert (match.confidence >= LOW_CONFIDENCE) == match.trusted


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_match_or_none(index, text):
    (result,) = safe_normalise(index, [text])
    assert result is None or (
        result.uri.startswith("http://data.europa.eu/esco/") and 0 <= result.confidence <= 1
    )


def test_decompounding():
    d = Decompounder(["heftruck", "chauffeur", "vracht", "wagen", "kok", "verkoop", "medewerker"])
    assert d.split("heftruckchauffeur") == ("heftruck", "chauffeur")
    assert d.split("vrachtwagenchauffeur") == ("vracht", "wagen", "chauffeur")
    assert d.split("verkoopsmedewerker") == ("verkoop", "medewerker")  # linking -s-
    assert d.split("kok") == ("kok",)
    assert "HEAD_chauffeur" in d.analyse("heftruckchauffeur")


def test_title_ranker_on_any_corpus(embedder):
    corpus = {
        "a": "heftruck chauffeur",
        "b": "verpleegkundige",
        "c": "kok in restaurant",
        "d": "chauffeur vrachtwagen",
    }
    ranker = TitleRanker(embedder).fit(list(corpus), list(corpus.values()))
    (ranked,) = ranker.rank(["Heftruckchauffeur (m/v)"], top=3)
    assert ranked.ids[0] == "a" and len(ranked.ids) == 3
    assert list(ranked.scores) == sorted(ranked.scores, reverse=True)


def test_ingest_fills_occupations_and_explanations_show_them(matcher):
    from matching.records import Kind
    from tests.factories import jobseeker, vacancy

    matcher.upsert([vacancy(title="Heftruckchauffeur (m/v) 38 uur")])
    matcher.upsert(
        [
            jobseeker(desired_occupation="vorkheftruckbestuurder"),
            jobseeker(id="WZ-X", desired_occupation="qwrtz"),
        ]
    )
    v_rowid = matcher.store.rowid(Kind.VACANCIES, "VAC-T1")
    ((uri, conf),) = matcher.store.occupations(Kind.VACANCIES, [v_rowid]).values()
    assert uri == "http://data.europa.eu/esco/occupation/eeac6251-1974-42f5-91ed-513c6c883755"
    assert conf >= LOW_CONFIDENCE
    x_rowid = matcher.store.rowid(Kind.JOBSEEKERS, "WZ-X")
    assert matcher.store.occupations(Kind.JOBSEEKERS, [x_rowid])[x_rowid] == (None, 0.0)
    item = next(m for m in matcher.shortlist("VAC-T1").items if m.id == "WZ-T1")
    assert item.occupation["label"] == "heftruckchauffeur" and item.occupation["isco"] == "8344"
    assert item.occupation["isco_label"]
    beroep = next(c for c in item.criteria if c.name == "beroep")
    assert beroep.reason.startswith("Zelfde beroep: heftruckchauffeur (ISCO 8344)")


class CountingEncoder:
    """Stands in for a model in the cache's locking test: slow, and counts its calls."""

    model_id, dim = "counting@000", 4

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts, prompt, progress=False, batch_size=32):
        self.calls += 1
        time.sleep(0.5)  # long enough for every other caller to reach the lock
        return np.random.default_rng(self.calls).normal(size=(len(texts), self.dim))


def test_label_vectors_are_embedded_once_when_callers_race(tmp_path):
    encoder, results = CountingEncoder(), []
    callers = [
        threading.Thread(target=lambda: results.append(label_vectors(encoder, tmp_path)))
        for _ in range(4)
    ]
    for c in callers:
        c.start()
    for c in callers:
        c.join()
    assert encoder.calls == 1 and len(results) == 4
    assert all(np.array_equal(r, results[0]) for r in results)
    assert results[0].shape == (len(esco_labels()[0]), encoder.dim)
    assert label_vectors(encoder, tmp_path).shape == results[0].shape and encoder.calls == 1


class HashingEncoder:
    """A vector per text derived from the text alone; records what it was asked to embed."""

    model_id, dim = "hashing@000", 8

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts, prompt, progress=False, batch_size=32):
        self.texts += texts
        seeds = [int(hashlib.blake2b(t.encode(), digest_size=4).hexdigest(), 16) for t in texts]
        return np.stack([np.random.default_rng(s).normal(size=self.dim) for s in seeds])


def test_each_distinct_label_is_embedded_once_and_every_label_gets_its_own_vector(tmp_path):
    encoder = HashingEncoder()
    vectors = label_vectors(encoder, tmp_path)
    cleaned = [cleaned_title(label) for label in esco_labels()[0]]
    assert len(encoder.texts) == len(set(encoder.texts)) == len(set(cleaned)) < len(cleaned)
    expected = encoder.encode(cleaned, "query")
    assert np.array_equal(vectors, expected)
