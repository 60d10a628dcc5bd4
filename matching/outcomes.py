"""Outcomes of proposals and the policy that splits them for training and evaluation.

An outcome says what happened to a proposed candidate: invited, placed or rejected. The
split is by vacancy hash (70% train, 15% validation, 15% held-out test), stable across runs,
so training, promotion and evaluation agree on which vacancies each may read.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from matching.ledger import Ledger


class OutcomeKind(StrEnum):
    INVITED = "invited"
    PLACED = "placed"
    REJECTED = "rejected"


GAIN = {"placed": 3.0, "invited": 1.0, "rejected": 0.0, "unlabelled": 0.0}
SPLITS = (("train", 70), ("valid", 85), ("test", 100))  # cumulative percent of vacancies


def split_of(vacancy_id: str) -> str:
    """Stable split of a vacancy (70% train, 15% valid, 15% held-out test), by hash."""
    bucket = int.from_bytes(hashlib.blake2b(vacancy_id.encode(), digest_size=4).digest()) % 100
    return next(name for name, upper in SPLITS if bucket < upper)


def outcome_frame(ledger: Ledger) -> pl.DataFrame:
    """The latest outcome per (vacancy, jobseeker) pair, with its split."""
    rows = ledger.outcome_rows()
    schema = {"id": pl.Int64, "vacancy_id": pl.Utf8, "jobseeker_id": pl.Utf8, "outcome": pl.Utf8}
    frame = pl.DataFrame([{k: r[k] for k in schema} for r in rows], schema=schema)
    return (
        frame.sort("id")
        .unique(subset=["vacancy_id", "jobseeker_id"], keep="last", maintain_order=True)
        .with_columns(
            pl.col("vacancy_id").map_elements(split_of, return_dtype=pl.Utf8).alias("split")
        )
    )
