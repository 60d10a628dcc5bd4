"""Fair re-ranking: every prefix meets each group's minimum share, best first within it."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matching.fairness import fair_top, group_shares


def test_an_under_ranked_group_gets_its_share_early():
    scores = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], dtype=float)
    groups = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])  # group 1 all at the bottom
    top = fair_top(scores, groups, {0: 0.6, 1: 0.4}, 5)
    # group 1 is due one place by length 3 (floor(0.4 * 3) = 1) and a second by length 5
    assert top.tolist() == [0, 1, 6, 2, 7]
    assert fair_top(scores, groups, {0: 1.0, 1: 0.0}, 3).tolist() == [0, 1, 2]


@given(
    st.lists(st.tuples(st.floats(-5, 5), st.integers(0, 3)), min_size=1, max_size=40),
    st.integers(1, 15),
)
def test_every_prefix_meets_the_minimum_of_every_group(rows, k):
    scores = np.array([s for s, _ in rows])
    groups = np.array([g for _, g in rows])
    shares = group_shares(groups)
    top = fair_top(scores, groups, shares, k)
    assert len(top) == min(k, len(rows)) and len(set(top.tolist())) == len(top)
    for length in range(1, len(top) + 1):
        prefix = groups[top[:length]]
        for g, share in shares.items():
            assert (prefix == g).sum() >= min(math.floor(share * length), (groups == g).sum())
    for g in shares:  # within a group, candidates keep their score order
        picked = [scores[i] for i in top if groups[i] == g]
        assert picked == sorted(picked, reverse=True)


def test_a_fair_shortlist_keeps_each_groups_share_of_the_eligible(world):
    from matching.fairness import groups_of
    from matching.query import candidates
    from matching.records import Kind

    ctx = world.context()
    for vid in world.store.ids(Kind.VACANCIES)[:30]:
        found = candidates(ctx, world.get(Kind.VACANCIES, vid), None)
        passing = [found.records[i] for i in np.flatnonzero(found.passed)]
        if len(passing) < 10:
            continue
        shares = group_shares(groups_of(passing))
        plain = world.shortlist(vid, k=10)
        fair = world.shortlist(vid, k=10, fair=True)
        assert fair.fair and not plain.fair
        assert len(fair.items) == len(plain.items) == 10
        by_id = {j.id: j for j in passing}
        top = groups_of([by_id[m.id] for m in fair.items])
        for g, share in shares.items():
            assert (top == g).sum() >= math.floor(share * 10)
        return
    raise AssertionError("no vacancy with ten eligible candidates in the small world")
