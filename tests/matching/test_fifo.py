"""The bounded FIFO cache."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.fifo import FifoCache


@given(st.integers(1, 8), st.lists(st.tuples(st.integers(0, 12), st.integers()), max_size=60))
def test_behaves_like_a_dict_that_forgets_its_oldest_keys(size, writes):
    cache: FifoCache[int, int] = FifoCache(size)
    model: dict[int, int] = {}  # insertion-ordered: the oldest key first
    for key, value in writes:
        if key not in model and len(model) >= size:
            del model[next(iter(model))]
        model[key] = value  # a rewrite keeps the key's place
        cache[key] = value
        assert len(cache) == len(model) <= size
    for key in range(13):
        assert (key in cache) == (key in model)
        assert cache.get(key) == model.get(key)


def test_a_cache_needs_room():
    with pytest.raises(ValueError, match="at least one"):
        FifoCache(0)
