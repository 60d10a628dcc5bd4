"""Labour-market analysis: tension per occupation group and arbeidsmarktregio, as UWV does.

UWV's spanningsindicator is open vacancies divided by people on WW for less than six months,
per arbeidsmarktregio and occupation group. werkmatch takes the occupation group from the ISCO
code of the ESCO occupation (ISCO-08 sub-major group, 2 digits, 43 groups) and counts
jobseekers unemployed for less than six months.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from matching.errors import InvalidInputError
from matching.geo import geography
from matching.records import Kind
from matching.store import Store
from matching.taxonomy import taxonomy

log = logging.getLogger("werkmatch")

# UWV's class boundaries: < 0.25 zeer ruim, 0.25-0.67 ruim, 0.67-1.5 gemiddeld,
# 1.5-4.0 krap, >= 4.0 zeer krap.
TENSION_EDGES = (0.25, 0.67, 1.5, 4.0)
TENSION_CLASSES = ("zeer ruim", "ruim", "gemiddeld", "krap", "zeer krap")
PHASES = ("0-3 maanden", "3-6 maanden", "6-12 maanden", "meer dan 12 maanden")


def tension_class(value: float) -> str:
    """UWV class of a tension value."""
    return TENSION_CLASSES[int(np.searchsorted(TENSION_EDGES, value, side="right"))]


def unemployment_phase(months: np.ndarray | int) -> np.ndarray:
    """Phase 0 (0-3 months), 1 (3-6), 2 (6-12) or 3 (more than 12)."""
    return np.searchsorted(np.array([3, 6, 12]), np.asarray(months), side="right")


def occupation_group(uri: str | None) -> str | None:
    """ISCO-08 sub-major group (2 digits) of an ESCO occupation."""
    occ = taxonomy().get(uri) if uri else None
    return occ.isco[:2] if occ else None


@dataclass
class Market:
    """Tension per (occupation group, region): a table and fast look-ups."""

    table: pl.DataFrame  # group, group_label, region, region_name, vacancies, short_unemployed,
    # jobseekers, tension, class

    def __post_init__(self) -> None:
        self._tension = {
            (g, r): t for g, r, t in self.table.select("group", "region", "tension").iter_rows()
        }

    def tension(self, group: str | None, region: str) -> float | None:
        """Tension of a cell; None when the cell has no vacancies nor jobseekers."""
        return self._tension.get((group, region)) if group else None


def _with_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """Occupation group and region of every row, looked up once per distinct occupation and
    postcode (a few thousand) rather than per row (a million)."""
    geo = geography()
    groups = {u: occupation_group(u) for u in frame["occupation_uri"].drop_nulls().unique()}
    regions = {p: str(geo.region_codes[geo.row(p)]) for p in frame["postcode"].unique()}
    return frame.with_columns(
        # typed even when empty: a store without vacancies still joins
        pl.col("occupation_uri")
        .replace_strict(groups, default=None, return_dtype=pl.Utf8)
        .alias("group"),
        pl.col("postcode")
        .replace_strict(regions, default=None, return_dtype=pl.Utf8)
        .alias("region"),
    ).filter(pl.col("group").is_not_null())


def market_cells(store: Store, kind: Kind) -> pl.DataFrame:
    """Counts per (group, region) of one kind: open vacancies, or jobseekers and those
    unemployed for less than six months."""
    frame = _with_keys(store.market_frame(kind))
    if kind == Kind.VACANCIES:
        open_ones = frame.filter(pl.col("is_open"))
        return open_ones.group_by("group", "region").agg(pl.len().alias("vacancies"))
    return frame.group_by("group", "region").agg(
        pl.len().alias("jobseekers"),
        (pl.col("months_unemployed") < 6).sum().alias("short_unemployed"),
    )


def compute_market(store: Store) -> Market:
    """Tension per (ISCO sub-major group, arbeidsmarktregio) from the store's current records."""
    return market_of(market_cells(store, Kind.VACANCIES), market_cells(store, Kind.JOBSEEKERS))


def market_of(vacancies: pl.DataFrame, jobseekers: pl.DataFrame) -> Market:
    """The market of the two kinds' cells (`market_cells`)."""
    table = (
        vacancies.join(jobseekers, on=["group", "region"], how="full", coalesce=True)
        .fill_null(0)
        .with_columns(
            # Half a person added to both sides keeps empty cells finite and comparable.
            ((pl.col("vacancies") + 0.5) / (pl.col("short_unemployed") + 0.5)).alias("tension")
        )
    )
    geo, tax = geography(), taxonomy()
    table = table.with_columns(
        pl.col("tension").map_elements(tension_class, return_dtype=pl.Utf8).alias("class"),
        pl.col("group")
        .replace_strict(
            {g: tax.isco_label(g) or g for g in table["group"].unique()}, return_dtype=pl.Utf8
        )
        .alias("group_label"),
        pl.col("region").replace_strict(geo.region_names, default=None).alias("region_name"),
    ).sort("group", "region")
    return Market(table)


class LiveMarket:
    """Tension that follows the store: recomputed when the store changed, at most once per
    `max_age` seconds, and in a background thread while the last figures keep serving.

    Only the first call waits for a computation (the service makes it before it serves): at a
    million jobseekers one takes seconds, which a shortlist asked during a bulk ingest should
    not pay (UWV itself publishes the indicator quarterly: figures a minute old are as good).
    Each kind's cells are kept by its revision, so posting vacancies re-reads the vacancies
    only, not the million jobseekers. Occupations re-inferred without a new revision (an
    embedder switch, which every serving process makes itself) are counted again through
    `invalidate`.
    """

    def __init__(self, store: Store, max_age: float = 60.0) -> None:
        self.store = store
        self.max_age = max_age
        self._lock = threading.Lock()
        self._current: tuple[float, tuple[int, int], Market] | None = None  # checked, key
        self._refresh: threading.Thread | None = None
        self._cells: dict[Kind, tuple[int, pl.DataFrame]] = {}  # kind -> (revision, cells)
        self._epoch = 0  # invalidations so far: cells counted across one are not kept

    def _key(self) -> tuple[int, int]:
        return self.store.changes.revision(Kind.JOBSEEKERS), self.store.changes.revision(
            Kind.VACANCIES
        )

    def get(self) -> Market:
        """The current figures (computed here on the first call only)."""
        with self._lock:
            current, refreshing = self._current, self._refresh is not None
        if current is not None and (refreshing or time.monotonic() - current[0] < self.max_age):
            return current[2]
        key = self._key()
        if current is None:
            market, epoch = self._compute(key)
            self._keep(key, market, epoch)
            return market
        with self._lock:
            current = self._current  # again: an invalidation since is not to be overwritten
            if key == current[1]:
                self._current = (time.monotonic(), key, current[2])
            elif self._refresh is None:
                self._refresh = threading.Thread(
                    target=self._recompute, args=(key,), name="labour-market", daemon=True
                )
                self._refresh.start()
        return current[2]

    def _compute(self, key: tuple[int, int]) -> tuple[Market, int]:
        """The market at revisions `key` (jobseekers, vacancies), reading only the kinds whose
        revision moved since their cells were counted; and the epoch it was computed in."""
        with self._lock:
            epoch = self._epoch
        cells = {}
        for kind, revision in zip((Kind.JOBSEEKERS, Kind.VACANCIES), key, strict=True):
            with self._lock:
                kept = self._cells.get(kind)
            if kept is None or kept[0] != revision:
                kept = (revision, market_cells(self.store, kind))
                with self._lock:
                    if self._epoch == epoch:
                        self._cells[kind] = kept
            cells[kind] = kept[1]
        return market_of(cells[Kind.VACANCIES], cells[Kind.JOBSEEKERS]), epoch

    def _keep(self, key: tuple[int, int], market: Market, epoch: int) -> None:
        """Serve `market` from now; computed across an invalidation, it is recomputed at the
        next call."""
        with self._lock:
            if self._epoch == epoch:
                self._current = (time.monotonic(), key, market)
            else:
                self._current = (float("-inf"), (-1, -1), market)

    def _recompute(self, key: tuple[int, int]) -> None:
        try:
            market, epoch = self._compute(key)
        except Exception:  # keep serving the last figures; try again after max_age
            log.exception("labour-market recomputation failed; the last figures stay")
            with self._lock:
                if self._current is not None:
                    self._current = (time.monotonic(), self._current[1], self._current[2])
                self._refresh = None
            return
        self._keep(key, market, epoch)
        with self._lock:
            self._refresh = None

    def invalidate(self) -> None:
        """Recompute at the next call (in the background): the occupations were changed."""
        with self._lock:
            self._epoch += 1
            self._cells.clear()
            if self._current is not None:
                self._current = (float("-inf"), (-1, -1), self._current[2])

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a recomputation under way, if any."""
        thread = self._refresh
        if thread is not None:
            thread.join(timeout)


def market_table(market: Market, region: str | None, occupation: str | None) -> pl.DataFrame:
    """The market's cells, of one region and of one occupation group if asked; `occupation`
    is an ISCO code (1-4 digits) or an ESCO occupation URI."""
    table = market.table
    if region:
        table = table.filter(table["region"] == region)
    if occupation:
        group = (
            occupation_group(occupation)
            if occupation.startswith("http")
            else (occupation[:2] if occupation.isdigit() else None)
        )
        if group is None:
            raise InvalidInputError(
                "not an ISCO code nor a known ESCO occupation URI", "occupation"
            )
        table = table.filter(table["group"] == group)
    return table
