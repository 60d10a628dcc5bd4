"""Outcomes of proposals and the policy that splits them for training and evaluation.

An outcome says what happened to a proposed candidate: invited, placed or rejected. Every
vacancy and every jobseeker falls in one split by a hash of its id (60% train, 20% validation,
20% held-out test), stable across runs. A pair is `test` when either side is a test record
(training and promotion never read it), `train` when both sides are train records, and
`valid` otherwise: validation pairs always have an unseen side, test pairs two.
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
SPLITS = (("train", 60), ("valid", 80), ("test", 100))  # cumulative percent of records


def split_of(record_id: str) -> str:
    """Stable split of a vacancy or jobseeker (60% train, 20% valid, 20% test), by hash."""
    bucket = int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=4).digest()) % 100
    return next(name for name, upper in SPLITS if bucket < upper)


def pair_split(vacancy_id: str, jobseeker_id: str) -> str:
    """The split of a pair: test if either side is test, train if both are train, else valid."""
    sides = {split_of(vacancy_id), split_of(jobseeker_id)}
    if "test" in sides:
        return "test"
    return "train" if sides == {"train"} else "valid"


def outcome_frame(ledger: Ledger) -> pl.DataFrame:
    """The latest outcome per (vacancy, jobseeker) pair, with its split."""
    rows = ledger.outcome_rows()
    schema = {"id": pl.Int64, "vacancy_id": pl.Utf8, "jobseeker_id": pl.Utf8, "outcome": pl.Utf8}
    frame = pl.DataFrame([{k: r[k] for k in schema} for r in rows], schema=schema)
    return (
        frame.sort("id")
        .unique(subset=["vacancy_id", "jobseeker_id"], keep="last", maintain_order=True)
        .with_columns(
            pl.struct("vacancy_id", "jobseeker_id")
            .map_elements(
                lambda r: pair_split(r["vacancy_id"], r["jobseeker_id"]), return_dtype=pl.Utf8
            )
            .alias("split")
        )
    )
