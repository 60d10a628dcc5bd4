"""A lock per index folder, so processes sharing a data directory never mix index files.

Several processes may serve one data directory (`werkmatch serve --workers N`, a Ray job
beside a server). An index is a set of files (`<kind>.faiss` and `<kind>.json`, and one pair
per shard): a process holds the folder's lock exclusively while it writes a set and shared
while it reads one, so none reads, or leaves behind, one process's vectors beside another's
metadata. Re-entrant within a thread: a sharded index saves its shards under its own hold.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".index.lock"
_held = threading.local()  # folder -> exclusive?, per thread


@contextmanager
def folder_lock(folder: Path, exclusive: bool) -> Iterator[None]:
    """Hold `folder`'s index lock (exclusive to write, shared to read) for the block.

    A shared hold on a folder that does not exist yet takes no lock: there is nothing to read.
    """
    held: dict[str, bool] = _held.__dict__.setdefault("folders", {})
    key = str(Path(folder).resolve())
    if key in held:
        if exclusive and not held[key]:
            raise RuntimeError(f"{folder}: a shared index lock cannot become exclusive")
        yield
        return
    if not exclusive and not Path(folder).is_dir():
        yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder) / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        held[key] = exclusive
        try:
            yield
        finally:
            del held[key]  # closing the file releases the lock
