"""Labour-market tension that follows the store without making a shortlist wait."""

from __future__ import annotations

from pathlib import Path

import pytest

import matching.labour_market as lm
from matching.labour_market import LiveMarket
from matching.records import Kind
from matching.store import Store
from tests.factories import FORKLIFT_URI, jobseeker, vacancy


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'werkmatch.db'}")
    s.upsert([vacancy(id="V1", esco_uri=FORKLIFT_URI)])
    s.upsert([jobseeker(id="J1", desired_esco_uri=FORKLIFT_URI, months_unemployed=2)])
    return s


def open_vacancies(market: lm.Market) -> int:
    return int(market.table["vacancies"].sum())


def test_changes_are_picked_up_in_the_background_while_the_last_figures_serve(store: Store):
    live = LiveMarket(store, max_age=0.0)
    first = live.get()  # the first call computes
    assert open_vacancies(first) == 1 and first.table["tension"].to_list() == [1.0]
    assert live.get() is first  # nothing changed: the same figures, no recomputation
    store.upsert([vacancy(id="V2", esco_uri=FORKLIFT_URI)])
    assert live.get() is first  # served at once; the recomputation runs beside it
    live.wait(30)
    second = live.get()
    assert open_vacancies(second) == 2 and second.table["tension"].to_list() == [2.5 / 1.5]


def test_within_max_age_a_change_is_not_looked_at(store: Store):
    live = LiveMarket(store, max_age=3600.0)
    first = live.get()
    store.upsert([vacancy(id="V2", esco_uri=FORKLIFT_URI)])
    assert live.get() is first
    live.invalidate()  # e.g. an embedder switch re-inferred the occupations
    assert live.get() is first
    live.wait(30)
    assert open_vacancies(live.get()) == 2


def test_a_failed_recomputation_keeps_the_last_figures(store: Store, monkeypatch, caplog):
    live = LiveMarket(store, max_age=0.0)
    first = live.get()
    store.upsert([vacancy(id="V2", esco_uri=FORKLIFT_URI)])

    def broken(_store: Store) -> lm.Market:
        raise OSError("disk gone")

    monkeypatch.setattr(lm, "compute_market", broken)
    assert live.get() is first
    live.wait(30)
    assert "recomputation failed" in caplog.text
    monkeypatch.undo()
    assert live.get() is first  # tries again, in the background
    live.wait(30)
    assert open_vacancies(live.get()) == 2


def test_a_store_without_vacancies_or_jobseekers_has_empty_cells_not_an_error(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    assert lm.compute_market(store).table.height == 0
    store.upsert([jobseeker(id="J1", desired_esco_uri=FORKLIFT_URI)])
    only_people = lm.compute_market(store)
    assert only_people.table["vacancies"].to_list() == [0]
    store.delete(Kind.JOBSEEKERS, "J1")
    store.upsert([vacancy(id="V1", esco_uri=FORKLIFT_URI)])
    only_work = lm.compute_market(store)
    assert only_work.table["jobseekers"].to_list() == [0]
    assert only_work.table["tension"].to_list() == [1.5 / 0.5]
