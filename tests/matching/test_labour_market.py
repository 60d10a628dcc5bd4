"""Labour-market tension that follows the store without making a shortlist wait."""

from __future__ import annotations

from pathlib import Path

import polars as pl
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

    def broken(_store: Store, _kind: Kind) -> pl.DataFrame:
        raise OSError("disk gone")

    monkeypatch.setattr(lm, "market_cells", broken)
    assert live.get() is first
    live.wait(30)
    assert "recomputation failed" in caplog.text
    monkeypatch.undo()
    assert live.get() is first  # tries again, in the background
    live.wait(30)
    assert open_vacancies(live.get()) == 2


def test_posting_a_vacancy_reads_the_vacancies_again_not_the_jobseekers(store: Store, monkeypatch):
    """A recomputation reads only the kinds that changed (at a million jobseekers, reading
    them took 3 s of CPU beside the shortlists); the figures are those of a full count."""
    read: list[Kind] = []
    frame = store.market_frame
    monkeypatch.setattr(store, "market_frame", lambda kind: read.append(kind) or frame(kind))
    live = LiveMarket(store, max_age=0.0)
    live.get()
    assert sorted(read) == [Kind.JOBSEEKERS, Kind.VACANCIES]
    read.clear()
    store.upsert([vacancy(id="V2", esco_uri=FORKLIFT_URI)])
    live.get()
    live.wait(30)
    assert read == [Kind.VACANCIES]
    assert live.get().table.equals(lm.compute_market(store).table)
    read.clear()
    store.upsert([jobseeker(id="J2", desired_esco_uri=FORKLIFT_URI, months_unemployed=1)])
    live.get()
    live.wait(30)
    assert read == [Kind.JOBSEEKERS]
    assert live.get().table["short_unemployed"].to_list() == [2]
    read.clear()
    live.invalidate()  # occupations re-inferred: both kinds counted again
    live.get()
    live.wait(30)
    assert sorted(read) == [Kind.JOBSEEKERS, Kind.VACANCIES]


def test_an_invalidation_while_the_cells_are_counted_is_not_lost(store: Store, monkeypatch):
    """Occupations re-inferred while a recomputation counts: what it counted may predate
    them, so it serves until the next call, which counts both kinds again."""
    live = LiveMarket(store, max_age=0.0)
    live.get()
    read: list[Kind] = []
    count = lm.market_cells

    def counting(s: Store, kind: Kind) -> pl.DataFrame:
        read.append(kind)
        if len(read) == 1:
            live.invalidate()
        return count(s, kind)

    monkeypatch.setattr(lm, "market_cells", counting)
    store.upsert([vacancy(id="V2", esco_uri=FORKLIFT_URI)])
    live.get()
    live.wait(30)
    assert read == [Kind.VACANCIES]
    read.clear()
    live.get()
    live.wait(30)
    assert sorted(read) == [Kind.JOBSEEKERS, Kind.VACANCIES]
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


def test_the_figures_do_not_depend_on_the_chunks_the_store_is_read_in(tmp_path: Path, monkeypatch):
    store = Store(f"sqlite:///{tmp_path / 'chunks.db'}")
    places = ["3011", "3012", "1011", "9711", "3011", "1011", "5611"]  # 4 regions
    store.upsert(
        [
            jobseeker(id=f"J{i}", postcode=pc, desired_esco_uri=FORKLIFT_URI if i % 3 else None)
            for i, pc in enumerate(places)
        ]
        + [
            jobseeker(
                id="J-long", postcode="3011", desired_esco_uri=FORKLIFT_URI, months_unemployed=30
            )
        ]
    )
    store.upsert(
        [vacancy(id=f"V{i}", postcode=pc, esco_uri=FORKLIFT_URI) for i, pc in enumerate(places[:3])]
    )
    whole = lm.compute_market(store).table
    for rows in (1, 2, 3):
        monkeypatch.setattr("matching.store.MARKET_CHUNK", rows)
        assert lm.compute_market(store).table.equals(whole)
    # 3011 and 3012 are one region: 2 vacancies there, 2 short-unemployed jobseekers with a
    # known occupation (J1 in 3012, J4 in 3011; J-long is not short)
    rotterdam = whole.filter(pl.col("vacancies") == 2)
    assert rotterdam["short_unemployed"].to_list() == [2]
    assert rotterdam["jobseekers"].to_list() == [3]
    assert whole["vacancies"].sum() == 3 and whole["jobseekers"].sum() == 5
