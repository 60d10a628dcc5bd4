"""Held-out title sets, the title vector cache, top-k selection and the second stage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse

import eval.title_sets as title_sets
import training.train_titles as train_titles
from eval.title_sets import TEST_SHARE, esco_title_set, held_out_occupations, split_of
from eval.titles import evaluate_run, run_from_scores
from matching.lexical import cleaned_title
from matching.taxonomy import taxonomy
from matching.title_rerank import TitleMatcherSettings, esco_share, picked_and_best
from matching.title_vectors import TitleVectorCache
from matching.titles import TitleRanker, fuse, top_columns


@pytest.fixture(scope="module")
def held() -> title_sets.TitleSet:
    return esco_title_set("test")


def test_splits_are_disjoint_and_test_is_what_the_embedder_holds_out():
    uris = list(taxonomy().occupations)
    splits = {u: split_of(u) for u in uris}
    assert {u for u, s in splits.items() if s == "test"} == held_out_occupations(
        uris, TEST_SHARE, 0
    )
    counts = {s: list(splits.values()).count(s) for s in ("train", "validation", "test")}
    assert 0.07 < counts["test"] / len(uris) < 0.13
    assert 0.07 < counts["validation"] / len(uris) < 0.13
    assert split_of(uris[0]) == split_of(uris[0])  # stable across calls


def test_held_out_queries_never_appear_in_their_corpus(held):
    assert len(held.queries) > 500
    corpus_texts = {cleaned_title(t) for _, t in held.corpus}
    assert not any(t in corpus_texts for _, t in held.queries)
    assert held.exact() == set()
    ids = {d for d, _ in held.corpus}
    assert all(rel and rel <= ids for rel in held.qrels.values())
    owners = {occ.uri for occ in taxonomy().occupations.values() if split_of(occ.uri) == "test"}
    uris = list(taxonomy().occupations)
    for qid, _ in held.queries:  # query ids name their occupation by position
        assert uris[int(qid[1:].split(".")[0])] in owners


def test_sample_keeps_every_relevant_document(held):
    small = held.sample(50, 300, seed=1)
    assert len(small.queries) == 50
    ids = {d for d, _ in small.corpus}
    assert all(rel <= ids for rel in small.qrels.values())
    assert len(ids) <= 300 + sum(len(r) for r in small.qrels.values())


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
        elements=st.integers(-5, 5).map(float),  # many ties
    ),
    st.integers(1, 50),
)
def test_top_columns_are_the_best_scores_in_order(scores, top):
    cols = top_columns(scores, top)
    k = min(top, scores.shape[1])
    assert cols.shape == (scores.shape[0], k)
    full = np.sort(scores, axis=1)[:, ::-1][:, :k]
    assert np.array_equal(np.take_along_axis(scores, cols, 1), full)
    for row, values in zip(cols, np.take_along_axis(scores, cols, 1), strict=True):
        assert len(set(row.tolist())) == k
        ties = values[1:] == values[:-1]
        assert np.all(row[1:][ties] > row[:-1][ties])  # equal scores by column


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=30),
        elements=st.sampled_from([0.0, 0.0, 0.0, 0.25, 0.5, 1.0]),  # mostly zeros
    ),
    st.integers(0, 2**16),
)
def test_a_sparse_signal_is_picked_as_its_dense_form(scores, seed):
    cols = np.random.default_rng(seed).integers(0, scores.shape[1], (scores.shape[0], 4))
    picked, best = picked_and_best(sparse.csr_matrix(scores), cols)
    assert np.array_equal(picked, np.take_along_axis(scores, cols, 1))
    assert np.array_equal(best, scores.max(axis=1))


def test_title_vector_cache_encodes_each_title_once(embedder, tmp_path: Path, monkeypatch):
    titles = ["heftruckchauffeur", "kok", "verpleegkundige", "kok"]
    cache = TitleVectorCache(embedder, tmp_path)
    first = cache.vectors(titles)
    fresh = embedder.encode(titles, "query")
    # the cache encodes the 3 distinct titles in one batch, this call all 4: with bf16
    # matrix products (CPUs with native bf16) the batch shape moves the last digits, and
    # the embedder promises agreement to a cosine of 0.9999, not equal bits
    assert np.all(np.sum(first * fresh, axis=1) > 0.9999)
    assert len(cache) == 3
    encoded: list[list[str]] = []
    real = embedder.encode

    def spy(texts, *args, **kwargs):
        encoded.append(list(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(embedder, "encode", spy)
    again = TitleVectorCache(embedder, tmp_path)  # from the file
    assert np.array_equal(again.vectors(titles), first)
    assert encoded == []
    again.vectors(["bakker", "kok"])
    assert encoded == [["bakker"]]


@pytest.fixture
def cache_dir(model_dir: Path) -> Path:
    """The ESCO label and title vectors shared by the suite (beside the model)."""
    return model_dir.parent / "cache"


def test_second_stage_is_trained_without_test_occupations(
    embedder, cache_dir, tmp_path, monkeypatch
):
    asked: list[str] = []
    real = title_sets.esco_title_set

    def spy(split, *args, **kwargs):
        asked.append(split)
        return real(split, *args, **kwargs)

    monkeypatch.setattr(train_titles, "esco_title_set", spy)
    train = spy("train", max_occupations=60).sample(150, 600, seed=0)
    val = spy("validation").sample(120, 600, seed=0)
    settings_ = train_titles.train_title_matcher(
        embedder, cache_dir, sets=(train, val), save_to=tmp_path
    )
    assert "test" not in asked
    report = settings_.report
    first = report["validation_first_stage"]
    wins = {
        kinds: report[name]["mrr"] > first["mrr"] and report[name]["ndcg@10"] > first["ndcg@10"]
        for kinds, name in (
            (True, "validation_second_stage"),
            (False, "validation_second_stage_without_kinds"),
        )
    }
    assert report["second_stage_kept"] == wins[True]
    assert report["second_stage_without_kinds_kept"] == wins[False]
    stage = settings_.second_stage
    if wins[True]:
        assert stage.kinds and (stage.without_kinds is not None) == wins[False]
    else:
        assert (stage is not None and not stage.kinds) == wins[False]
    assert abs(sum(settings_.weights.values()) - 1) < 1e-6
    loaded = TitleMatcherSettings.load(tmp_path, embedder.model_id)
    assert loaded is not None and loaded.weights == settings_.weights
    assert TitleMatcherSettings.load(tmp_path, "another-model@000") is None


def test_second_stage_learns_and_ranks(embedder, cache_dir):
    train = esco_title_set("train", max_occupations=50).sample(150, 500, seed=2)
    ranker, raw = train_titles.signals_on(embedder, cache_dir, train)
    weights = {"embedding": 0.6, "char": 0.2, "compound": 0.1, "taxonomy": 0.1}
    stage = train_titles.fit_second_stage(ranker, raw, weights, train, seed=0, kinds=True)
    qids = [q for q, _ in train.queries]
    first = evaluate_run(run_from_scores(qids, ranker.ids_, fuse(raw, weights)), train.qrels)
    second = evaluate_run(train_titles.served_run(ranker, train, weights, stage), train.qrels)
    assert second.ndcg10 > first.ndcg10  # it fits what it was trained on (labels line up)
    texts = [t for _, t in train.queries[:20]]
    ranker.second_stage = None
    plain = ranker.rank(texts, top=50)
    ranker.second_stage = stage
    ranked = ranker.rank(texts, top=50)
    short = ranker.rank(texts, top=5)
    for r, p, s in zip(ranked, plain, short, strict=True):
        assert list(r.scores) == sorted(r.scores, reverse=True)
        k = stage.top_k
        assert set(r.ids[:k]) == set(p.ids[:k]) and r.ids[k:] == p.ids[k:]
        assert s.ids == r.ids[:5]  # a short list is the head of the long one


def test_a_corpus_that_is_not_esco_labels_gets_the_stage_without_label_kinds(embedder, cache_dir):
    train = esco_title_set("train", max_occupations=50).sample(150, 500, seed=2)
    ranker, raw = train_titles.signals_on(embedder, cache_dir, train)
    weights = {"embedding": 0.6, "char": 0.2, "compound": 0.1, "taxonomy": 0.1}
    stages = {
        kinds: train_titles.fit_second_stage(ranker, raw, weights, train, seed=0, kinds=kinds)
        for kinds in (True, False)
    }
    assert stages[True].model.n_features_in_ == stages[False].model.n_features_in_ + 1
    stage = stages[True]
    stage.without_kinds = stages[False]
    esco = ranker.titles_[:20]
    other = ["kok bij restaurant de gouden leeuw", "heftruck man", "nachtdienst zorg"] * 7
    assert esco_share(esco) == 1.0 and esco_share(other) == 0.0
    assert stage.for_corpus(esco) is stage and stage.for_corpus(other) is stages[False]
    assert stages[False].for_corpus(esco) is stages[False]  # kind-free: any corpus
    stage.without_kinds = None
    assert stage.for_corpus(other) is None  # the first stage's order stands
    mixed = esco[:18] + other[:2]  # 90% labels: still an ESCO corpus
    assert stage.for_corpus(mixed) is stage
    fitted = TitleRanker(embedder, weights, second_stage=stages[True]).fit(
        [f"d{i}" for i in range(len(other))], other
    )
    assert fitted.corpus_stage() is None  # served as the first stage on this corpus


def test_taxonomy_signal_does_not_know_held_out_queries(embedder, cache_dir, held):
    from matching.occupations import OccupationIndex

    full = OccupationIndex(embedder, cache_dir)
    index = OccupationIndex(embedder, cache_dir, held.unknown_labels)
    known = {cleaned_title(t) for t in index.labels}
    assert not known & held.unknown_labels
    assert len(index.labels) == len(full.labels) - sum(
        cleaned_title(t) in held.unknown_labels for t in full.labels
    )
    (match,) = index.normalise(["kok"])  # every occupation still scores: pooling kept aligned
    assert match is not None and match.isco == full.normalise(["kok"])[0].isco


def test_benchmark_rows_on_the_development_set(embedder, cache_dir):
    from eval.title_benchmark import dev_set, markdown_report, measure_set

    dev = dev_set()
    hard = {q for q, _ in dev.queries} - dev.exact()
    assert 0 < len(hard) < len(dev.queries)  # dev has both kinds of query
    out, ranker = measure_set(embedder, cache_dir, dev, None, grid_step=0.25)
    assert ranker.occupations is not None
    assert out["hard"] == len(hard) and out["queries"] == len(dev.queries)
    rows = out["rows"]
    assert {"embedding", "char", "compound", "taxonomy", "fused (shipped weights)"} <= set(rows)
    assert not [r for r in rows if r.startswith("served")]  # no trained matcher given
    for m in rows.values():
        assert 0 <= m["no_exact_label"]["mrr"] <= 1 and 0 <= m["all"]["ndcg@10"] <= 1
    assert out["queries_per_s"] > 0
    result = {
        "sets": {"dev": out, "held-out": out},
        "second_stage": False,
        "encode_titles_per_s": 1.0,
        "normalise_titles_per_s": 1.0,
        "embedder": {"model_id": embedder.model_id, "precision": embedder.precision},
    }
    text = markdown_report(result)
    assert "| embedding |" in text and "queries/s" in text
