"""The Werkplein's indicators, as aggregates only: no person's data, small cells suppressed.

- arbeidsuitstroom: exits to work per month, per arbeidsmarktregio and service segment;
- time to fill: median days from a vacancy's posting to the first exit into it, per region;
- candidates: share of open vacancies with at least 5 suitable jobseekers (their occupation
  group, passing the hard filters: travel distance, licences, hours), per region;
- target groups: people and exits to work of 45+, > 12 months unemployed at exit, jongeren
  (15-26) and Wajong, per region.
A cell that counts fewer than `k` people (or vacancies) shows no figure (`suppressed`), so no
one can be singled out; `k` is `Settings.indicator_min_cell`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import polars as pl

from matching.errors import InvalidInputError
from matching.filters import HOURS_TOLERANCE
from matching.geo import geography, haversine_km
from matching.labour_market import occupation_group
from matching.occupations import LOW_CONFIDENCE
from matching.records import Kind
from matching.store import Store

PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
SUITABLE_MIN = 5
TARGETS = ("45+", "> 12 maanden", "jongeren", "Wajong")


def _people(store: Store) -> pl.DataFrame:
    rows = []
    geo = geography()
    for _, js in store.iter_records(Kind.JOBSEEKERS):
        rows.append(
            {
                "jobseeker_id": js.id,
                "region": geo.region_of(js.postcode),
                "age_band": js.age_band.value if js.age_band else None,
                "benefit": str(js.benefit),
            }
        )
    schema = {"jobseeker_id": pl.Utf8, "region": pl.Utf8, "age_band": pl.Utf8, "benefit": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)


def _in_period(frame: pl.DataFrame, period: str | None) -> pl.DataFrame:
    if period is None:
        return frame
    return frame.filter(pl.col("on").dt.strftime("%Y-%m").str.starts_with(period))


def suppress(frame: pl.DataFrame, count: str, values: list[str], k: int) -> pl.DataFrame:
    """Blank `count` and `values` where `count` < k, and say so in `suppressed`."""
    small = pl.col(count) < k
    return frame.with_columns(
        *(pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in [*values, count]),
        small.alias("suppressed"),
    )


def outflow(exits: pl.DataFrame, k: int) -> pl.DataFrame:
    """Exits to work per month, region and segment."""
    cells = (
        exits.with_columns(pl.col("on").dt.strftime("%Y-%m").alias("month"))
        .group_by("month", "region", "segment")
        .agg(pl.len().alias("exits"))
        .sort("month", "region", "segment")
    )
    return suppress(cells, "exits", [], k)


def time_to_fill(store: Store, exits: pl.DataFrame, k: int) -> pl.DataFrame:
    """Median days from posting to the first exit into the vacancy, per vacancy region."""
    geo, posted = geography(), []
    for _, v in store.iter_records(Kind.VACANCIES):
        posted.append((v.id, geo.region_of(v.postcode), v.posted_date))
    vac = pl.DataFrame(posted, schema=["vacancy_id", "region", "posted"], orient="row")
    filled = (
        exits.filter(pl.col("vacancy_id").is_not_null())
        .group_by("vacancy_id")
        .agg(pl.col("on").min())
        .join(vac, on="vacancy_id")
        .with_columns((pl.col("on") - pl.col("posted")).dt.total_days().alias("days"))
        .filter(pl.col("days") >= 0)  # an exit before the posting is not this vacancy's fill
    )
    cells = filled.group_by("region").agg(
        pl.len().alias("filled"), pl.col("days").median().alias("median_days")
    )
    return suppress(cells.sort("region"), "filled", ["median_days"], k)


def candidate_supply(store: Store, k: int) -> pl.DataFrame:
    """Share of open vacancies with at least 5 suitable jobseekers, per vacancy region."""
    geo = geography()
    js = [(j, o) for (_, j), o in _with_groups(store, Kind.JOBSEEKERS)]
    groups = np.array([o or "" for _, o in js], dtype=object)
    rows = geo.rows([j.postcode for j, _ in js]) if js else np.zeros(0, dtype=int)
    radius = np.array([j.max_travel_km for j, _ in js])
    hours = np.array([j.hours_per_week for j, _ in js])
    masks = store.attributes(Kind.JOBSEEKERS)["licence_mask"].astype(np.int64)
    va = store.attributes(Kind.VACANCIES)
    needs = dict(zip(va["rowid"].tolist(), va["licence_mask"].tolist(), strict=True))
    out = []
    for (rowid, v), group in _with_groups(store, Kind.VACANCIES):
        if v.status != "open" or group is None:
            continue
        r, need = geo.row(v.postcode), int(needs[rowid])
        dist = haversine_km(geo.lat[r], geo.lon[r], geo.lat[rows], geo.lon[rows])
        ok = (groups == group) & (dist <= radius + 1e-9) & ((masks & need) == need)
        ok &= hours >= v.hours_min - HOURS_TOLERANCE
        out.append((geo.region_of(v.postcode), int(np.count_nonzero(ok)) >= SUITABLE_MIN))
    frame = pl.DataFrame(out, schema={"region": pl.Utf8, "enough": pl.Boolean}, orient="row")
    cells = frame.group_by("region").agg(
        pl.len().alias("vacancies"), pl.col("enough").mean().alias("share")
    )
    return suppress(cells.sort("region"), "vacancies", ["share"], k)


def _with_groups(store: Store, kind: Kind):
    """(rowid, record) with the trusted occupation group of each record, in rowid order."""
    ids = store.ids(kind)
    by_id = store.rowids(kind, ids)  # one statement per READ_CHUNK ids, not one per record
    rowids = [by_id[i] for i in ids if i in by_id]
    records, occs = store.with_occupations(kind, rowids)
    for r in rowids:
        occ = occs.get(r)
        trusted = occ.uri if occ and (occ.confidence or 0) >= LOW_CONFIDENCE else None
        yield (r, records[r]), occupation_group(trusted)


def target_groups(people: pl.DataFrame, history: pl.DataFrame, exits: pl.DataFrame, k: int):
    """People in each target group (with a spell) and their exits to work, per region."""
    intake = (
        history.filter(pl.col("event") == "intake")
        .group_by("jobseeker_id")
        .agg(pl.col("on").max().alias("intake"))
    )
    spells = people.join(intake, on="jobseeker_id")
    long = exits.join(intake, on="jobseeker_id").filter(
        (pl.col("on") - pl.col("intake")).dt.total_days() > 365
    )
    members = {
        "45+": pl.col("age_band").is_in(["45-54", "55-67"]),
        "jongeren": pl.col("age_band") == "15-26",
        "Wajong": pl.col("benefit") == "Wajong",
    }
    parts = []
    for name, rule in members.items():
        ids = spells.filter(rule)
        n = ids.group_by("region").agg(pl.len().alias("people"))
        e = (
            exits.join(ids.select("jobseeker_id"), on="jobseeker_id")
            .group_by("region")
            .len("exits")
        )
        parts.append(n.join(e, on="region", how="left").with_columns(pl.lit(name).alias("group")))
    reached = history.filter((pl.col("event") == "phase") & (pl.col("phase") == 3))
    n = people.join(reached.select("jobseeker_id").unique(), on="jobseeker_id")
    n = n.group_by("region").agg(pl.len().alias("people"))
    e = long.join(people.select("jobseeker_id", "region"), on="jobseeker_id", how="inner")
    e = e.group_by("region").len("exits")
    n = n.join(e, on="region", how="left")
    parts.append(n.with_columns(pl.lit("> 12 maanden").alias("group")))
    columns = ("group", "region", "people", "exits")
    cells = pl.concat(
        [p.select(columns).cast({"people": pl.Int64, "exits": pl.Int64}) for p in parts]
    ).with_columns(
        pl.col("exits").fill_null(0),
        (pl.col("exits").fill_null(0) / pl.col("people")).alias("share"),
    )
    cells = suppress(cells.sort("group", "region"), "people", ["share"], k)
    small = pl.col("exits") < k
    return cells.with_columns(
        pl.when(small).then(None).otherwise(pl.col("exits")).alias("exits"),
        pl.when(small).then(None).otherwise(pl.col("share")).alias("share"),
        (pl.col("suppressed") | small.fill_null(True)).alias("suppressed"),
    )


def indicators(
    store: Store,
    segments: Mapping[str, str],
    k: int,
    region: str | None = None,
    period: str | None = None,
) -> dict[str, pl.DataFrame]:
    """Every indicator, for one region and period (YYYY or YYYY-MM) if asked."""
    if period is not None and not PERIOD.match(period):
        raise InvalidInputError("use YYYY or YYYY-MM", "period")
    people = _people(store)
    history = store.history.frame().join(people.select("jobseeker_id"), on="jobseeker_id")
    exits = _in_period(history.filter(pl.col("event") == "exit_work"), period)
    exits = exits.join(people, on="jobseeker_id").with_columns(
        pl.col("jobseeker_id").replace_strict(dict(segments), default="onbekend").alias("segment")
    )
    out = {
        "arbeidsuitstroom": outflow(exits, k),
        "time_to_fill": time_to_fill(store, exits, k),
        "candidates": candidate_supply(store, k),
        "target_groups": target_groups(people, history, exits, k),
    }
    if region is not None:
        out = {name: f.filter(pl.col("region") == region) for name, f in out.items()}
    return out
