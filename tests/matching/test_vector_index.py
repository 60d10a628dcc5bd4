"""One contract for every vector index backend (exact and IVF), on real FAISS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.vector_index import EXACT, IndexMeta, VectorIndex, choose_spec

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
        (10_000, 1000, "IVF256,SQ8"),
        (200, 100, "IVF5,SQ8"),
        (1_000_000, 50_000, "IVF4000,SQ8"),
    ],
)
def test_index_choice_by_size(n, exact_max, expected):
    assert choose_spec(n, exact_max) == expected
