"""One way to time a stage: `with stage() as t: ...` (or `t = started()`), then `t.seconds`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Elapsed:
    """Wall time of a stage; final once its `with` block has ended."""

    started: float
    ended: float | None = None

    @property
    def seconds(self) -> float:
        return (self.ended if self.ended is not None else time.perf_counter()) - self.started

    @property
    def ms(self) -> float:
        return self.seconds * 1000


def started() -> Elapsed:
    """A stopwatch running from now, for a whole job: read `.seconds` when done."""
    return Elapsed(time.perf_counter())


@contextmanager
def stage() -> Iterator[Elapsed]:
    """Time the block (also when it raises)."""
    elapsed = Elapsed(time.perf_counter())
    try:
        yield elapsed
    finally:
        elapsed.ended = time.perf_counter()
