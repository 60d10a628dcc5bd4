"""Training sets for the ranker, built from outcomes with polars, in both directions.

A group is one query: a vacancy with the jobseekers it was matched with (the matchmaker's
direction) or a jobseeker with the vacancies proposed to them (the werkcoach's direction).
Each group holds its labelled pairs plus sampled retrieved-but-unlabelled candidates as
negatives. Every row carries its pair split (`matching.outcomes.pair_split`); test pairs are
never built.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from matching.database import chunks
from matching.features import FEATURE_NAMES
from matching.outcomes import GAIN, outcome_frame, pair_split
from matching.query import (
    TARGET,
    QueryContext,
    candidates_among,
    eligible,
    remember_query_vectors,
    search,
)
from matching.records import Jobseeker, Kind, Vacancy, kind_of
from matching.service import Matcher

log = logging.getLogger("werkmatch")

DIRECTIONS = {
    Kind.VACANCIES: ("vacancy_id", "jobseeker_id"),
    Kind.JOBSEEKERS: ("jobseeker_id", "vacancy_id"),
}
POSITIVE = ("invited", "placed")
QUERY_BATCH = 2000  # query records read, and their vectors encoded, at once


def build_training_set(
    matcher: Matcher, negatives_per_vacancy: int = 10, seed: int = 0, progress: bool = True
) -> pl.DataFrame:
    """One row per labelled pair and sampled negative, train and valid pairs only.

    Columns: direction ("jobseekers": a vacancy's group, "vacancies": a jobseeker's),
    query_id, vacancy_id, jobseeker_id, outcome, split, label (1 = invited or placed),
    weight, gain, and one column per feature.
    """
    rng = np.random.default_rng(seed)
    outcomes = outcome_frame(matcher.store.ledger).filter(pl.col("split") != "test")
    ctx = matcher.context()
    parts = []
    for kind, (own, other) in DIRECTIONS.items():
        groups = _outcomes_per_query(outcomes, kind, own)
        bar = tqdm(total=len(groups), desc=f"training pairs ({kind.value})", disable=not progress)
        for batch in chunks(list(groups.items()), QUERY_BATCH):
            ctx.query_vectors.clear()  # what the memo holds: one batch's queries
            records = _query_records(ctx, kind, [query_id for query_id, _ in batch])
            for query_id, group in batch:
                labelled = dict(zip(group[other], group["outcome"], strict=True))
                record = records.get(query_id)
                if record is not None:
                    parts.append(_group(ctx, record, labelled, negatives_per_vacancy, rng))
            bar.update(len(batch))
        bar.close()
    parts = [p for p in parts if p is not None]
    data = pl.concat(parts).filter(pl.col("split") != "test")
    return data.with_columns(
        pl.col("outcome").is_in(POSITIVE).cast(pl.Int8).alias("label"),
        pl.col("outcome")
        .replace_strict({"placed": 2.0}, default=1.0, return_dtype=pl.Float64)
        .alias("weight"),
        pl.col("outcome").replace_strict(GAIN, return_dtype=pl.Float64).alias("gain"),
    )


def _outcomes_per_query(outcomes: pl.DataFrame, kind: Kind, own: str) -> dict[str, pl.DataFrame]:
    """The outcomes per query id of one direction; a jobseeker's only with two proposals or
    more, one of them invited or placed (one proposal says little about an order)."""
    groups = {k: g for (k,), g in outcomes.partition_by(own, as_dict=True).items()}
    if kind == Kind.JOBSEEKERS:
        groups = {
            k: g for k, g in groups.items() if g.height >= 2 and g["outcome"].is_in(POSITIVE).any()
        }
    return groups


def _query_records(ctx: QueryContext, kind: Kind, ids: list[str]) -> dict[str, Jobseeker | Vacancy]:
    """The stored records of these query ids, read at once, their query vectors put in the
    context (one batch encoded for those not stored yet)."""
    records = ctx.store.by_ids(kind, ids)
    remember_query_vectors(ctx, list(records.values()))
    return records


def _group(
    ctx: QueryContext,
    record: Jobseeker | Vacancy,
    labelled: dict[str, str],
    negatives: int,
    rng: np.random.Generator,
) -> pl.DataFrame | None:
    """Feature rows of one query's labelled pairs and sampled unlabelled candidates; the
    negatives are drawn from the nearest 200 eligible, found by rowid (their records are read
    only for the drawn ones)."""
    kind, query_id = kind_of(record), record.id
    target = TARGET[kind]
    rowid_of = ctx.store.rowids(target, list(labelled))
    known = set(rowid_of.values())
    nearest_rowids = search(ctx, record, eligible(ctx, record).rowids)[0][:200].tolist()
    pool = [r for r in nearest_rowids if r not in known]
    drawn = rng.permutation(pool)[:negatives].tolist()
    rowids = [rowid_of[i] for i in labelled if i in rowid_of] + drawn
    if not rowids:
        return None
    found = candidates_among(ctx, record, rowids, ranker=None)
    pairs = found.pairs
    ids = [r.id for r in found.records]
    vacancy_ids = [query_id] * len(ids) if kind == Kind.VACANCIES else ids
    jobseeker_ids = ids if kind == Kind.VACANCIES else [query_id] * len(ids)
    frame = pl.DataFrame(pairs.features.X, schema=list(FEATURE_NAMES), orient="row")
    return frame.with_columns(
        pl.lit("jobseekers" if kind == Kind.VACANCIES else "vacancies").alias("direction"),
        pl.lit(query_id).alias("query_id"),
        pl.Series("vacancy_id", vacancy_ids, dtype=pl.Utf8),
        pl.Series("jobseeker_id", jobseeker_ids, dtype=pl.Utf8),
        pl.Series("outcome", [labelled.get(i, "unlabelled") for i in ids], dtype=pl.Utf8),
        pl.Series(
            "split",
            [pair_split(v, j) for v, j in zip(vacancy_ids, jobseeker_ids, strict=True)],
            dtype=pl.Utf8,
        ),
    )
