"""Training sets for the ranker, built from outcomes with polars, split by vacancy."""

from __future__ import annotations

import logging

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from matching.features import FEATURE_NAMES
from matching.outcomes import GAIN, outcome_frame
from matching.query import candidates_among, nearest
from matching.records import Kind
from matching.service import Matcher

log = logging.getLogger("werkmatch")


def build_training_set(
    matcher: Matcher, negatives_per_vacancy: int = 10, seed: int = 0, progress: bool = True
) -> pl.DataFrame:
    """One row per labelled pair (and sampled unlabelled retrieved candidates as negatives).

    Columns: vacancy_id, jobseeker_id, outcome, split, label (1 = invited or placed),
    weight, gain, and one column per feature. Only train and valid vacancies are used.
    """
    rng = np.random.default_rng(seed)
    outcomes = outcome_frame(matcher.store.ledger).filter(pl.col("split") != "test")
    ctx = matcher.context()
    parts = []
    groups = outcomes.partition_by("vacancy_id", as_dict=True)
    for (vacancy_id,), group in tqdm(groups.items(), desc="training pairs", disable=not progress):
        vacancy = matcher.store.get(Kind.VACANCIES, vacancy_id)
        if vacancy is None:
            continue
        labelled = dict(zip(group["jobseeker_id"], group["outcome"], strict=True))
        retrieved = nearest(ctx, vacancy)[1].records
        pool = [j.id for j in retrieved[:200] if j.id not in labelled]
        for j in rng.permutation(pool)[:negatives_per_vacancy].tolist():
            labelled[j] = "unlabelled"
        rowid_of = {j: matcher.store.rowid(Kind.JOBSEEKERS, j) for j in labelled}
        ids = [j for j, r in rowid_of.items() if r is not None]
        pairs = candidates_among(ctx, vacancy, [rowid_of[j] for j in ids], ranker=None).pairs
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
