"""Processes sharing an index folder (`werkmatch serve --workers N`): while two processes save
different versions of an index over and over, every load holds one save's files, never one
process's vectors beside another's metadata."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from matching.index_files import folder_lock
from matching.sharded_index import build_index, open_index
from matching.vector_index import EXACT, IndexMeta

DIM, ROWS, ROUNDS = 8, 20, 150


def _version(revision: int, shards: int):
    """An index whose ids all name its revision (id // 1000) and whose count never changes."""
    meta = IndexMeta(kind="jobseekers", model_id="m", spec=EXACT, dim=DIM, revision=revision)
    vectors = np.zeros((ROWS, DIM), dtype=np.float32)
    vectors[:, 0] = 1.0
    ids = revision * 1000 + np.arange(ROWS, dtype=np.int64)
    return build_index(meta, ids, vectors, shards=shards)


def _writer(folder: str, parity: int, shards: int) -> None:
    for r in range(1, ROUNDS + 1):
        _version(2 * r + parity, shards).save(Path(folder))


def _revisions_in(index) -> set[int]:
    query = np.zeros((1, DIM), dtype=np.float32)
    query[0, 0] = 1.0
    ids = index.search(query, ROWS)[1][0]
    return {int(i) // 1000 for i in ids}


@pytest.mark.parametrize("shards", [1, 2])
def test_loads_never_mix_two_processes_saves(tmp_path: Path, shards: int):
    _version(1, shards).save(tmp_path)
    spawn = multiprocessing.get_context("spawn")
    writers = [spawn.Process(target=_writer, args=(str(tmp_path), p, shards)) for p in (0, 1)]
    for w in writers:
        w.start()
    loads, mixed = 0, []
    while any(w.is_alive() for w in writers) or loads < 20:
        index = open_index(tmp_path, "jobseekers")
        assert index is not None  # a save in progress never hides the last complete one
        loads += 1
        revisions = _revisions_in(index)
        if revisions != {index.meta.revision}:
            mixed.append((index.meta.revision, sorted(revisions)))
    for w in writers:
        w.join()
    assert [w.exitcode for w in writers] == [0, 0]
    assert not mixed, mixed[:5]
    last = open_index(tmp_path, "jobseekers")
    assert last.meta.revision in (2 * ROUNDS, 2 * ROUNDS + 1)
    assert _revisions_in(last) == {last.meta.revision}


def test_the_lock_is_reentrant_in_a_thread_and_refuses_an_upgrade(tmp_path: Path):
    with folder_lock(tmp_path, exclusive=True), folder_lock(tmp_path, exclusive=True):
        pass
    with (
        folder_lock(tmp_path, exclusive=False),
        pytest.raises(RuntimeError, match="cannot become exclusive"),
        folder_lock(tmp_path, exclusive=True),
    ):
        pass
    with folder_lock(tmp_path / "missing", exclusive=False):  # nothing to read: no lock
        assert not (tmp_path / "missing").exists()
