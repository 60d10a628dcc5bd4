"""Demo unemployment histories: their own random stream, consistent events, realistic rates."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from demo.history import PHASE_STARTS, exits, generate_history, months_after
from demo.params import HISTORY
from demo.world import REFERENCE_DATE, generate
from tests.conftest import SMALL_JOBSEEKERS, SMALL_VACANCIES

MONTHS = HISTORY.follow_up_months


@pytest.fixture(scope="module")
def history(small_world) -> pl.DataFrame:
    return generate_history(small_world, seed=7)


def test_histories_leave_the_world_as_it_was(small_world, history):
    again = generate(SMALL_JOBSEEKERS, SMALL_VACANCIES, seed=7, progress=False)
    assert again.jobseekers.equals(small_world.jobseekers)
    assert again.outcomes.equals(small_world.outcomes)
    assert generate_history(again, seed=7).equals(history)  # reproducible
    other = generate_history(again, seed=7, hp=dataclasses.replace(HISTORY, stream=99))
    assert not other.equals(history)  # the stream is what draws it


def test_every_person_has_one_intake_and_at_most_one_exit(small_world, history):
    counts = history.group_by("jobseeker_id", "event").len()
    intakes = counts.filter(pl.col("event") == "intake")
    assert intakes.height == small_world.jobseekers.height and (intakes["len"] == 1).all()
    assert (counts.filter(pl.col("event") == "exit_work")["len"] == 1).all()


def test_events_follow_the_spell(small_world, history):
    months = dict(small_world.jobseekers.select("id", "months_unemployed").iter_rows())
    end = months_after(REFERENCE_DATE, MONTHS)
    for (jid,), events in history.group_by("jobseeker_id"):
        start = months_after(REFERENCE_DATE, -months[jid])
        exit_on = events.filter(pl.col("event") == "exit_work")["on"].to_list()
        assert events.filter(pl.col("event") == "intake")["on"].to_list() == [start]
        assert all(REFERENCE_DATE <= d <= end for d in exit_on)
        phases = events.filter(pl.col("event") == "phase")
        assert phases["phase"].to_list() == list(range(1, phases.height + 1))
        for phase, on in phases.select("phase", "on").iter_rows():
            assert on == months_after(start, PHASE_STARTS[phase - 1])
            assert not exit_on or on <= exit_on[0]


def test_placed_people_start_in_their_vacancy_within_months(small_world, history):
    placed = small_world.outcomes.filter(pl.col("outcome") == "placed")
    first = dict(
        placed.unique("jobseeker_id", keep="first", maintain_order=True)
        .select("jobseeker_id", "vacancy_id")
        .iter_rows()
    )
    ex = history.filter(pl.col("event") == "exit_work")
    got = dict(ex.select("jobseeker_id", "on").iter_rows())
    latest = months_after(REFERENCE_DATE, HISTORY.placed_within_months)
    assert first and all(got[j] <= latest for j in first)


def test_job_chances_and_regime_drive_the_rates(small_world, history):
    found = set(history.filter(pl.col("event") == "exit_work")["jobseeker_id"])
    js = small_world.jobseekers.with_columns(pl.col("id").is_in(found).alias("found"))
    ww = js.filter(pl.col("benefit") == "WW")["found"].mean()
    wwb = js.filter(pl.col("benefit") == "WWB")["found"].mean()
    assert ww > wwb  # bijstand finds work less often than WW
    assert 0.3 < js["found"].mean() < 0.8


@settings(max_examples=60, deadline=None)
@given(
    logits=arrays(np.float64, (12, MONTHS), elements=st.floats(-6, 4)),
    lift=st.floats(0, 3),
    placed=arrays(np.int64, 12, elements=st.integers(-1, 2)),
    seed=st.integers(0, 2**16),
)
def test_exits_are_monthly_draws_where_more_chance_never_delays(logits, lift, placed, seed):
    month, by_placement = exits(np.random.default_rng(seed), logits, placed)
    higher, _ = exits(np.random.default_rng(seed), logits + lift, placed)
    assert ((month >= -1) & (month < MONTHS)).all()
    assert (month[placed >= 0] >= 0).all() and (month[placed >= 0] <= placed[placed >= 0]).all()
    assert (by_placement <= (placed >= 0)).all()
    never = month < 0
    assert ((higher <= month) | never).all() and (higher[~never] >= 0).all()


def test_loading_the_demo_again_replaces_its_history(matcher):
    from demo.load import load_demo

    load_demo(matcher, 30, 5, seed=3, progress=False, embed=False)
    events = matcher.store.history.count()
    matcher.store.history.add_exit("WZ-0000001", None, REFERENCE_DATE, "api:k")
    load_demo(matcher, 30, 5, seed=3, progress=False, embed=False)
    assert matcher.store.history.count() == events + 1  # the API's exit stays
