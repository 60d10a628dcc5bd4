"""Indicators: aggregates only, small cells suppressed, bad parameters refused."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from matching.errors import InvalidInputError
from matching.geo import geography
from matching.indicators import indicators, suppress
from matching.service import Matcher
from tests.factories import jobseeker, vacancy


def test_suppress_blanks_every_figure_of_a_small_cell():
    cells = pl.DataFrame({"region": ["AM01", "AM02"], "people": [3, 12], "share": [0.5, 0.25]})
    out = suppress(cells, "people", ["share"], k=10)
    assert out.row(0, named=True) == {
        "region": "AM01",
        "people": None,
        "share": None,
        "suppressed": True,
    }
    assert out.row(1, named=True)["share"] == 0.25 and not out.row(1, named=True)["suppressed"]


@pytest.fixture
def small_store(matcher: Matcher) -> Matcher:
    """12 people of one region who found work in 2026-03 (3 of them 45+), one vacancy."""
    matcher.upsert([vacancy(posted_date=dt.date(2026, 2, 1))])
    people = [
        jobseeker(id=f"WZ-{i:02d}", age_band="45-54" if i < 3 else "27-44") for i in range(12)
    ]
    matcher.upsert(people)
    events = []
    for p in people:
        events.append({"jobseeker_id": p.id, "event": "intake", "on": dt.date(2026, 1, 2)})
        exit_ = {"jobseeker_id": p.id, "event": "exit_work", "on": dt.date(2026, 3, 9)}
        events.append(exit_ | {"vacancy_id": "VAC-T1" if p.id == "WZ-00" else None})
    matcher.store.history.add_events({**e, "source": "test"} for e in events)
    return matcher


def test_exits_per_month_are_counted_and_small_groups_hidden(small_store: Matcher):
    region = geography().region_of("3011")
    out = indicators(small_store.store, {}, k=10, region=region)
    (cell,) = out["arbeidsuitstroom"].to_dicts()
    assert cell == {
        "month": "2026-03",
        "region": region,
        "segment": "onbekend",
        "exits": 12,
        "suppressed": False,
    }
    older = out["target_groups"].filter(pl.col("group") == "45+").row(0, named=True)
    assert older["people"] is None and older["exits"] is None and older["suppressed"]
    (fill,) = out["time_to_fill"].to_dicts()  # one vacancy filled: fewer than k
    assert fill["median_days"] is None and fill["suppressed"]
    shown = indicators(small_store.store, {}, k=1, region=region)["time_to_fill"].row(0, named=True)
    assert shown["median_days"] == 36  # 1 February to 9 March


def test_a_period_selects_months_and_a_bad_one_is_refused(small_store: Matcher):
    assert indicators(small_store.store, {}, k=1, period="2026-04")["arbeidsuitstroom"].height == 0
    assert indicators(small_store.store, {}, k=1, period="2026")["arbeidsuitstroom"].height == 1
    with pytest.raises(InvalidInputError):
        indicators(small_store.store, {}, k=1, period="maart")


def test_no_indicator_names_a_person(small_store: Matcher):
    out = indicators(small_store.store, {"WZ-00": "intensief"}, k=1)
    text = str({name: t.to_dicts() for name, t in out.items()})
    assert "WZ-" not in text and "intensief" in text


def test_the_number_of_queries_does_not_grow_with_the_records(matcher: Matcher):
    """Indicators read records in bulk: 60 people and vacancies cost no more queries than 6."""
    from sqlalchemy import event

    def queries_for(n: int) -> int:
        matcher.upsert([vacancy(id=f"VAC-Q{i:03d}") for i in range(n)])
        matcher.upsert([jobseeker(id=f"WZ-Q{i:03d}") for i in range(n)])
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(matcher.store.engine, "before_cursor_execute", listener)
        try:
            indicators(matcher.store, {}, k=10)
        finally:
            event.remove(matcher.store.engine, "before_cursor_execute", listener)
        return len(statements)

    few = queries_for(6)
    assert queries_for(60) == few
