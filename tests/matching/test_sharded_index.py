"""A sharded index finds what one index of the same vectors finds (real FAISS)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.sharded_index import ShardedIndex, build_index, merge_top, open_index
from matching.vector_index import EXACT, IndexMeta, VectorIndex

DIM = 16


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def world(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ids with gaps and n unit vectors, a quarter of them exact copies of others (ties)."""
    rng = np.random.default_rng(seed)
    vectors = unit(rng, n)
    copies = rng.choice(n, n // 4, replace=False)
    vectors[copies] = vectors[rng.integers(0, n // 8, n // 4)]
    ids = np.sort(rng.choice(10 * n, n, replace=False)).astype(np.int64) + 1
    return ids, vectors


def pair(spec: str, ids, vectors, shards: int) -> tuple[VectorIndex, ShardedIndex]:
    """One index and a sharded one of the same vectors (IVF: the same trained cells)."""
    meta = IndexMeta(kind="jobseekers", model_id="m", spec=spec, dim=DIM, revision=1)
    sharded = ShardedIndex.build(meta, ids, vectors, shards, nprobe=4, recall_target=0.9)
    one_meta = IndexMeta(kind="jobseekers", model_id="m", spec=spec, dim=DIM, revision=1)
    import faiss

    one = VectorIndex(one_meta, faiss.clone_index(sharded.shards[0]._index), nprobe=4)
    one._index.reset()
    one.add(ids, vectors)
    one.nprobe = sharded.nprobe = 2  # of 16 cells: what a shard probes matters
    return one, sharded


def assert_same(one, sharded, queries, k, among=None) -> None:
    """Same scores; the same ids above the k-th score; tied ids at it from the same tie."""
    s1, i1 = one.search(queries, k, among=among)
    s2, i2 = sharded.search(queries, k, among=among)
    assert i1.shape == i2.shape
    assert np.array_equal(i1 < 0, i2 < 0)
    found = i1 >= 0
    assert np.allclose(s1[found], s2[found], atol=1e-6)
    for row in range(len(queries)):
        a, b = i1[row][i1[row] >= 0], i2[row][i2[row] >= 0]
        if not len(a):
            continue
        kth = s2[row][len(b) - 1]
        above = s2[row][: len(b)] > kth + 1e-6
        assert set(a[s1[row][: len(a)] > kth + 1e-6]) == set(b[above])
        assert len(set(b.tolist())) == len(b)  # no id twice
        if among is not None:
            assert np.isin(b, among).all()
    order = np.lexsort((np.where(i2 < 0, 2**62, i2), -s2), axis=1)
    assert (order == np.arange(i2.shape[1])).all()  # by score, ties by id


@pytest.mark.parametrize(("spec", "shards"), [(EXACT, 3), (EXACT, 7), ("IVF16,SQfp16", 4)])
def test_sharded_search_equals_one_index(spec, shards):
    ids, vectors = world(3000)
    one, sharded = pair(spec, ids, vectors, shards)
    assert len(sharded) == len(one) == 3000 and sharded.meta.shards == shards
    queries = np.concatenate([vectors[:30], unit(np.random.default_rng(9), 30)])
    for k in (1, 10, 100):
        assert_same(one, sharded, queries, k)
    rng = np.random.default_rng(5)
    for share in (0.002, 0.05, 0.6):
        among = np.sort(rng.choice(ids, int(share * len(ids)), replace=False))
        assert_same(one, sharded, queries, 50, among=among)
    lopsided = ids[ids % shards == 0][::2]  # all in one shard: probes as many cells as one
    assert_same(one, sharded, queries, 50, among=lopsided)
    gone = ids[rng.choice(len(ids), 700, replace=False)]  # deletions
    assert one.remove(gone) == sharded.remove(gone) == 700
    assert len(sharded) == 2300 == sharded.meta.count
    assert_same(one, sharded, queries, 100)
    assert not np.isin(gone, sharded.search(queries, 100)[1]).any()


def test_k_beyond_a_shard_and_beyond_everything():
    ids, vectors = world(30, seed=2)
    one, sharded = pair(EXACT, ids, vectors, 4)  # about 7 vectors a shard
    assert max(len(s) for s in sharded.shards) < 20
    queries = vectors[:5]
    assert_same(one, sharded, queries, 20)
    scores, found = sharded.search(queries, 500)  # more than there are
    assert found.shape == (5, 30) and set(found[0].tolist()) == set(ids.tolist())
    assert np.all(np.diff(scores, axis=1) <= 1e-7)
    assert_same(one, sharded, queries, 25, among=ids[:3])  # fewer eligible than k


def test_ties_are_ordered_by_id():
    ids, vectors = np.arange(1, 13, dtype=np.int64), unit(np.random.default_rng(3), 1)
    meta = IndexMeta(kind="vacancies", model_id="m", spec=EXACT, dim=DIM, revision=1)
    sharded = ShardedIndex.build(meta, ids[::-1], np.repeat(vectors, 12, axis=0), 5)
    _, found = sharded.search(vectors, 12)
    assert found[0].tolist() == ids.tolist()


def test_merge_puts_empty_slots_last():
    s, i = merge_top(
        [np.array([[0.5, -3e38]], np.float32), np.array([[0.7]], np.float32)],
        [np.array([[4, -1]]), np.array([[9]])],
        3,
    )
    assert i.tolist() == [[9, 4, -1]] and s[0, 1] == np.float32(0.5)


def test_upsert_moves_nothing_between_shards():
    ids, vectors = world(200, seed=4)
    _, sharded = pair(EXACT, ids, vectors, 3)
    sharded.upsert(ids[:1], -vectors[:1])
    _, found = sharded.search(-vectors[:1], 1)
    assert found[0, 0] == ids[0] and len(sharded) == 200
    for i, shard in enumerate(sharded.shards):
        _, own = shard.search(vectors[:50], 50)
        assert (own[own >= 0] % 3 == i).all()


def test_save_and_open_round_trip(tmp_path: Path):
    ids, vectors = world(500, seed=6)
    meta = IndexMeta(kind="jobseekers", model_id="m", spec="IVF8,SQfp16", dim=DIM, revision=3)
    built = build_index(meta, ids, vectors, shards=3)
    built.save(tmp_path)
    loaded = open_index(tmp_path, "jobseekers")
    assert isinstance(loaded, ShardedIndex) and loaded.meta.shards == 3
    assert loaded.nprobe == built.nprobe and loaded.meta.revision == 3
    assert np.array_equal(loaded.search(vectors[:9], 7)[1], built.search(vectors[:9], 7)[1])
    assert VectorIndex.load(tmp_path, "jobseekers") is None  # not mistaken for one index
    (tmp_path / "jobseekers-1.faiss").unlink()  # a shard lost: rebuilt from the store
    assert open_index(tmp_path, "jobseekers") is None
    meta = IndexMeta(kind="jobseekers", model_id="m", spec="IVF8,SQfp16", dim=DIM, revision=3)
    build_index(meta, ids, vectors).save(tmp_path / "one")
    assert isinstance(open_index(tmp_path / "one", "jobseekers"), VectorIndex)


def test_erasure_reaches_a_saved_sharded_index(tmp_path: Path):
    """An erased person's vector leaves every saved index, the sharded ones included."""
    from matching.indexing import remove_from_saved
    from matching.records import Kind

    ids, vectors = world(300, seed=8)
    meta = IndexMeta(kind="jobseekers", model_id="old", spec=EXACT, dim=DIM, revision=1)
    build_index(meta, ids, vectors, shards=3).save(tmp_path / "old-model")
    (tmp_path / "served").mkdir()
    erased = int(ids[17])
    assert remove_from_saved(tmp_path, Kind.JOBSEEKERS, [erased], tmp_path / "served") == 1
    kept = open_index(tmp_path / "old-model", "jobseekers")
    assert isinstance(kept, ShardedIndex) and len(kept) == 299
    assert erased not in kept.search(vectors[17], 10)[1]
