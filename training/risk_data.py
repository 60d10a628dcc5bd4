"""The risk model's data: features at the assessment date, the 12-month label, the split.

One row per jobseeker with a history: the categories of `matching.risk_features` read from
their profile on the assessment date (the demo world's reference date; elsewhere a year ago),
and label 1 when the history shows no exit to work in the 12 months after it. Jobseekers are
split by id hash (`matching.outcomes.split_of`: 60% train, 20% validation, 20% test). Age band
and benefit regime are carried along for the figures per group; they are never features.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from demo.load import truth_dir
from demo.world import REFERENCE_DATE
from matching.outcomes import split_of
from matching.records import Kind
from matching.risk_features import FEATURES
from matching.service import Matcher

HORIZON_DAYS = 365
OLDER = ("45-54", "55-67")


def assessment_date(matcher: Matcher) -> dt.date:
    """The demo world's reference date when the home holds one, else a year ago (so the
    12-month outcome is known)."""
    if (truth_dir(matcher.settings.home) / "truth_jobseekers.parquet").exists():
        return REFERENCE_DATE
    return dt.date.today() - dt.timedelta(days=HORIZON_DAYS)


def labels(history: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """jobseeker_id, still_unemployed: people whose spell began on or before `as_of`, 1 when
    no exit to work follows within 12 months of it."""
    end = as_of + dt.timedelta(days=HORIZON_DAYS)
    spells = history.filter((pl.col("event") == "intake") & (pl.col("on") <= as_of))
    exits = history.filter(
        (pl.col("event") == "exit_work") & (pl.col("on") > as_of) & (pl.col("on") <= end)
    )
    found = exits.select("jobseeker_id").unique().with_columns(pl.lit(0).alias("found"))
    return (
        spells.select("jobseeker_id")
        .unique(maintain_order=True)
        .join(found, on="jobseeker_id", how="left")
        .select("jobseeker_id", pl.col("found").is_null().cast(pl.Int64).alias("still_unemployed"))
    )


def _groups(matcher: Matcher, ids: list[str]) -> pl.DataFrame:
    """Age band (the hidden truth in a demo, else the record) and benefit regime."""
    by_id = matcher.store.by_ids(Kind.JOBSEEKERS, ids)
    records = [by_id[j] for j in ids]
    frame = pl.DataFrame(
        {
            "jobseeker_id": ids,
            "age_band": [r.age_band.value if r.age_band else None for r in records],
            "benefit": [str(r.benefit) if r.benefit else "onbekend" for r in records],
        },
        schema_overrides={"age_band": pl.Utf8},
    )
    truth = truth_dir(matcher.settings.home) / "truth_jobseekers.parquet"
    if truth.exists():
        real = pl.read_parquet(truth).select(pl.col("id").alias("jobseeker_id"), "age_band")
        frame = frame.drop("age_band").join(real, on="jobseeker_id", how="left")
    return frame.with_columns(pl.col("age_band").fill_null("onbekend"))


def build_risk_set(matcher: Matcher, as_of: dt.date | None = None) -> pl.DataFrame:
    """One row per stored jobseeker with a history: FEATURES, label, split, groups."""
    as_of = as_of or assessment_date(matcher)
    stored = set(matcher.store.ids(Kind.JOBSEEKERS))
    y = labels(matcher.store.history.frame(), as_of).filter(pl.col("jobseeker_id").is_in(stored))
    ids = y["jobseeker_id"].to_list()
    if not ids:
        return pl.DataFrame(schema={"jobseeker_id": pl.Utf8, "still_unemployed": pl.Int64})
    X, months = matcher.risk.features(ids, as_of)
    frame = pl.DataFrame({f: X[:, k].astype(str) for k, f in enumerate(FEATURES)})
    return (
        pl.concat([y, frame], how="horizontal")
        .with_columns(
            pl.Series("split", [split_of(j) for j in ids]),
            pl.Series("months_unemployed", np.asarray(months, dtype=np.int64)),
        )
        .join(_groups(matcher, ids), on="jobseeker_id")
    )


def xy(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.select(FEATURES).to_numpy().astype(object), frame["still_unemployed"].to_numpy()
