"""One contract for every vector index backend (exact and IVF), on real FAISS."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from matching.vector_index import (
    EXACT,
    NPROBES,
    IndexMeta,
    VectorIndex,
    ann_recall,
    choose_spec,
    exact_top,
    id_bitmap,
    train_quantiser,
)

DIM = 32


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(params=[EXACT, "IVF16,SQ8"])
def built(request) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    vectors = unit(rng, 2000)
    ids = np.arange(10, 2010, dtype=np.int64)
    meta = IndexMeta(kind="jobseekers", model_id="m", spec=request.param, dim=DIM, revision=1)
    return VectorIndex.build(meta, ids, vectors, nprobe=16), ids, vectors


def test_search_finds_itself(built):
    index, ids, vectors = built
    scores, found = index.search(vectors[:20], 5)
    assert (found[:, 0] == ids[:20]).all()
    assert np.allclose(scores[:, 0], 1.0, atol=0.02)


def test_remove_and_update(built):
    index, ids, vectors = built
    assert index.remove(ids[:3]) == 3
    assert len(index) == len(ids) - 3
    _, found = index.search(vectors[:3], 10)
    assert not np.isin(ids[:3], found).any()
    index.upsert(ids[3:4], -vectors[3:4])  # replace a vector
    _scores, found = index.search(-vectors[3:4], 1)
    assert found[0, 0] == ids[3]
    assert len(index) == len(ids) - 3


def test_search_among_selected_ids_only(built):
    index, ids, vectors = built
    among = ids[500:520]
    _scores, found = index.search(vectors[0], 10, among=among)
    got = found[0][found[0] >= 0]
    assert len(got) == 10 and np.isin(got, among).all()
    exact = np.argsort(-(vectors[500:520] @ vectors[0]))[:10]
    assert set(got.tolist()) == set(among[exact].tolist())  # sparse selection: still exact


def test_save_load_round_trip(built, tmp_path: Path):
    index, _ids, vectors = built
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, "jobseekers")
    assert loaded is not None and len(loaded) == len(index)
    assert loaded.meta.spec == index.meta.spec and loaded.meta.revision == 1
    assert np.array_equal(loaded.search(vectors[:5], 3)[1], index.search(vectors[:5], 3)[1])


def test_load_refuses_missing_or_corrupt(tmp_path: Path):
    assert VectorIndex.load(tmp_path, "jobseekers") is None
    (tmp_path / "jobseekers.json").write_text("{not json")
    assert VectorIndex.load(tmp_path, "jobseekers") is None


def test_add_checks_shapes(built):
    index, _, _ = built
    with pytest.raises(ValueError, match="dim"):
        index.add(np.array([99999]), np.zeros((1, DIM + 1), np.float32))


@pytest.mark.parametrize(
    ("n", "exact_max", "expected"),
    [
        (10, 100, EXACT),
        (100, 100, EXACT),
        (10_000, 1000, "IVF256,SQfp16"),
        (200, 100, "IVF5,SQfp16"),
        (1_000_000, 50_000, "IVF4000,SQfp16"),
    ],
)
def test_index_choice_by_size(n, exact_max, expected):
    assert choose_spec(n, exact_max) == expected


def clustered(rng: np.random.Generator, n: int, centres: int = 40) -> np.ndarray:
    """Vectors around a few centres, like texts around occupations."""
    c = unit(rng, centres)
    x = c[rng.integers(0, centres, n)] + rng.normal(0, 0.35, (n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("target", [0.9, 0.97])
def test_nprobe_is_tuned_to_the_recall_target(target):
    rng = np.random.default_rng(1)
    vectors, ids = clustered(rng, 20_000), np.arange(1, 20_001, dtype=np.int64)
    meta = IndexMeta(kind="jobseekers", model_id="m", spec="IVF128,SQ8", dim=DIM, revision=1)
    index = VectorIndex.build(meta, ids, vectors, nprobe=4, recall_target=target)
    assert index.meta.recall >= target and index.nprobe == index.meta.nprobe
    queries = clustered(np.random.default_rng(2), 100)  # fresh queries, not the tuning ones
    _, found = index.search(queries, 100)
    assert ann_recall(found, ids[exact_top(vectors, queries, 100)]) >= target - 0.03
    lower = [p for p in NPROBES if p < index.meta.nprobe]
    if lower:  # the smallest nprobe that reaches the target, not just any
        _, fewer = index._index.search(
            queries, 100, params=faiss.SearchParametersIVF(nprobe=lower[-1])
        )
        assert ann_recall(fewer, ids[exact_top(vectors, queries, 100)]) < target + 0.02


def test_filtered_ivf_search_matches_exact_among_the_eligible():
    rng = np.random.default_rng(3)
    vectors, ids = clustered(rng, 20_000), np.arange(5, 20_005, dtype=np.int64)
    meta = IndexMeta(kind="jobseekers", model_id="m", spec="IVF128,SQ8", dim=DIM, revision=1)
    index = VectorIndex.build(meta, ids, vectors, nprobe=8)
    recalls = {}
    for share in (0.005, 0.05, 0.5):
        pick = np.sort(rng.choice(len(ids), int(share * len(ids)), replace=False))
        queries = clustered(np.random.default_rng(4), 30)
        truth = ids[pick][exact_top(vectors[pick], queries, 50)]
        found = np.stack([index.search(q, 50, among=ids[pick])[1][0] for q in queries])
        assert np.isin(found[found >= 0], ids[pick]).all()  # only the eligible
        recalls[share] = ann_recall(found, truth)
    assert recalls[0.005] >= 0.99  # a selective filter scans every cell: exact but for SQ8
    assert min(recalls.values()) >= 0.9


def test_empty_selection_finds_nothing(built):
    index, _, vectors = built
    _, found = index.search(vectors[0], 5, among=np.zeros(0, dtype=np.int64))
    assert (found == -1).all() and found.shape == (1, 5)


def test_estimated_bytes_are_close_to_the_serialised_size(built):
    index, _, _ = built
    assert 0.7 < index.estimated_bytes() / index.nbytes() < 1.5


def test_bitmap_sets_exactly_the_ids():
    bits = id_bitmap(np.array([0, 3, 9, 17]))
    unpacked = np.unpackbits(bits, bitorder="little")
    assert np.flatnonzero(unpacked).tolist() == [0, 3, 9, 17]


def test_index_spec_override_refuses_what_cannot_delete(tmp_path):
    from pydantic import ValidationError

    from matching.config import Settings

    assert Settings(home=tmp_path, index_spec="IVF4096,SQfp16").index_spec == "IVF4096,SQfp16"
    with pytest.raises(ValidationError, match="HNSW does not"):
        Settings(home=tmp_path, index_spec="HNSW32,SQ8")
    assert choose_spec(10**6, 50_000, "IVF1024,PQ48") == "IVF1024,PQ48"
    assert choose_spec(10, 50_000, "IVF1024,PQ48") == EXACT


@pytest.mark.parametrize("spec", ["IVF8,PQ8x8", "IDMap2,IVF8,PQ8x8", "PQ8x8"])
def test_product_quantisers_train_without_polysemous_annealing(spec):
    """The annealing only serves Hamming pre-filtering, which no search uses; trained
    without it, the index still finds each vector's own code nearest."""
    vectors = unit(np.random.default_rng(3), 2000)
    index = faiss.index_factory(DIM, spec, faiss.METRIC_INNER_PRODUCT)
    train_quantiser(index, vectors)
    ivf = faiss.try_extract_index_ivf(index)
    inner = faiss.downcast_index(ivf if ivf is not None else index)
    assert index.is_trained and inner.do_polysemous_training is False
    if spec.startswith("IDMap2"):
        index.add_with_ids(vectors, np.arange(len(vectors)))
    else:
        index.add(vectors)
    if ivf is not None:
        ivf.nprobe = ivf.nlist
    found = index.search(vectors[:50], 1)[1][:, 0]
    assert (found == np.arange(50)).mean() >= 0.9
