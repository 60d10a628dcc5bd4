"""Training sets for the ranker, built from outcomes with polars, split by vacancy."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from matching.features import FEATURE_NAMES
from matching.service import Matcher
from matching.store import Kind

log = logging.getLogger("werkmatch")

GAIN = {"placed": 3.0, "invited": 1.0, "rejected": 0.0, "unlabelled": 0.0}
SPLITS = (("train", 70), ("valid", 85), ("test", 100))  # cumulative percent of vacancies


def split_of(vacancy_id: str) -> str:
    """Stable split of a vacancy (70% train, 15% valid, 15% held-out test), by hash."""
    bucket = int.from_bytes(hashlib.blake2b(vacancy_id.encode(), digest_size=4).digest()) % 100
    return next(name for name, upper in SPLITS if bucket < upper)


def outcome_frame(matcher: Matcher) -> pl.DataFrame:
    """The latest outcome per (vacancy, jobseeker) pair, with its split."""
    rows = matcher.store.outcome_rows()
    schema = {"id": pl.Int64, "vacancy_id": pl.Utf8, "jobseeker_id": pl.Utf8, "outcome": pl.Utf8}
    frame = pl.DataFrame([{k: r[k] for k in schema} for r in rows], schema=schema)
    return (
        frame.sort("id")
        .unique(subset=["vacancy_id", "jobseeker_id"], keep="last", maintain_order=True)
        .with_columns(
            pl.col("vacancy_id").map_elements(split_of, return_dtype=pl.Utf8).alias("split")
        )
    )


def build_training_set(
    matcher: Matcher, negatives_per_vacancy: int = 10, seed: int = 0, progress: bool = True
) -> pl.DataFrame:
    """One row per labelled pair (and sampled unlabelled retrieved candidates as negatives).

    Columns: vacancy_id, jobseeker_id, outcome, split, label (1 = invited or placed),
    weight, gain, and one column per feature. Only train and valid vacancies are used.
    """
    rng = np.random.default_rng(seed)
    outcomes = outcome_frame(matcher).filter(pl.col("split") != "test")
    parts = []
    groups = outcomes.partition_by("vacancy_id", as_dict=True)
    for (vacancy_id,), group in tqdm(groups.items(), desc="training pairs", disable=not progress):
        vacancy = matcher.store.get(Kind.VACANCIES, vacancy_id)
        if vacancy is None:
            continue
        labelled = dict(zip(group["jobseeker_id"], group["outcome"], strict=True))
        eligible = matcher.indexer.table(Kind.JOBSEEKERS).jobseekers_for(vacancy)
        got = matcher.retrieve(Kind.VACANCIES, vacancy, Kind.JOBSEEKERS, eligible.rowids)
        pool = [j.id for j in got.records[:200] if j.id not in labelled]
        for j in rng.permutation(pool)[:negatives_per_vacancy].tolist():
            labelled[j] = "unlabelled"
        ids = list(labelled)
        rowids = [matcher.store.rowid(Kind.JOBSEEKERS, j) for j in ids]
        keep = [i for i, r in enumerate(rowids) if r is not None]
        ids, rowids = [ids[i] for i in keep], np.array([rowids[i] for i in keep], dtype=np.int64)
        records, occupations = matcher.store.with_occupations(Kind.JOBSEEKERS, rowids.tolist())
        sims = matcher.similarity(vacancy, rowids.tolist())
        pairs = matcher.score_for_vacancy(
            vacancy,
            rowids,
            sims,
            [records[int(r)] for r in rowids],
            ranker=None,
            occupations=occupations,
        )
        frame = pl.DataFrame(pairs.features.X, schema=list(FEATURE_NAMES), orient="row")
        outcome = [labelled[j] for j in ids]
        parts.append(
            frame.with_columns(
                pl.lit(vacancy_id).alias("vacancy_id"),
                pl.Series("jobseeker_id", ids),
                pl.Series("outcome", outcome),
                pl.lit(group["split"][0]).alias("split"),
            )
        )
    data = pl.concat(parts)
    return data.with_columns(
        pl.col("outcome").is_in(["invited", "placed"]).cast(pl.Int8).alias("label"),
        pl.col("outcome")
        .replace_strict({"placed": 2.0}, default=1.0, return_dtype=pl.Float64)
        .alias("weight"),
        pl.col("outcome").replace_strict(GAIN, return_dtype=pl.Float64).alias("gain"),
    )
