"""Who may be judged, and how relevant each candidate is: the evaluation's ground truth.

A `Judge` holds the records of one split (the test split for the report; None: every record,
for a world nothing was trained on) and grades candidates within it. In a demo world the
grades come from the hidden suitability (0-3; relevant from grade 2); elsewhere from the
outcomes of that split's pairs (placed 3, invited 1; relevant from 1).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from demo.load import truth_dir
from demo.truth import DemoTruth, grade
from matching.outcomes import GAIN, outcome_frame, split_of
from matching.records import Kind
from matching.service import Matcher


class Judge:
    """Relevance of candidates within one split, in both directions."""

    def __init__(self, matcher: Matcher, split: str | None) -> None:
        self.split = split
        self.truth = DemoTruth.load(truth_dir(matcher.settings.home))
        store = matcher.store
        self.ids = {
            kind: sorted(i for i in store.ids(kind) if split is None or split_of(i) == split)
            for kind in (Kind.VACANCIES, Kind.JOBSEEKERS)
        }
        self.rowids = {
            kind: np.array(sorted(store.rowids(kind, ids).values()), dtype=np.int64)
            for kind, ids in self.ids.items()
        }
        self.relevant_from = 2 if self.truth else 1
        if self.truth:
            self._build_matrix()
        else:
            self._gains = self._outcome_gains(matcher)

    @property
    def source(self) -> str:
        if self.truth:
            return "demo truth (hidden suitability, grades 0-3, relevant from 2)"
        return "outcomes (placed 3, invited 1, relevant from 1)"

    def _build_matrix(self) -> None:
        """Suitability of every judged vacancy (rows) x judged jobseeker (columns)."""
        truth = self.truth
        people = self.ids[Kind.JOBSEEKERS]
        cols = np.array([truth.position[j] for j in people], dtype=int)
        rows = [truth.suitability(v)[cols] for v in self.ids[Kind.VACANCIES]]
        matrix = np.vstack(rows) if rows else np.zeros((0, len(people)))
        self._matrix, self._people = matrix, {j: i for i, j in enumerate(people)}
        self._vacancies = {v: i for i, v in enumerate(self.ids[Kind.VACANCIES])}

    def _outcome_gains(self, matcher: Matcher) -> pl.DataFrame:
        frame = outcome_frame(matcher.store.ledger)
        wanted = set(self.ids[Kind.VACANCIES]), set(self.ids[Kind.JOBSEEKERS])
        return frame.filter(
            pl.col("vacancy_id").is_in(list(wanted[0]))
            & pl.col("jobseeker_id").is_in(list(wanted[1]))
        ).with_columns(pl.col("outcome").replace_strict(GAIN, return_dtype=pl.Float64).alias("g"))

    def scores(self, kind: Kind, query_id: str) -> dict[str, float]:
        """Judged candidate id -> suitability (or outcome gain) for one query record."""
        if self.truth:
            if kind == Kind.VACANCIES:
                row = self._matrix[self._vacancies[query_id]]
                return dict(zip(self._people, row.tolist(), strict=True))
            col = self._matrix[:, self._people[query_id]]
            return dict(zip(self._vacancies, col.tolist(), strict=True))
        own, other = (
            ("vacancy_id", "jobseeker_id")
            if kind == Kind.VACANCIES
            else ("jobseeker_id", "vacancy_id")
        )
        rows = self._gains.filter(pl.col(own) == query_id)
        return dict(zip(rows[other], rows["g"], strict=True))

    def grades(self, scores: dict[str, float]) -> dict[str, float]:
        """Relevance grades of the scores of `scores` (suitability -> 0-3, gains as they are)."""
        if not self.truth:
            return scores
        values = grade(np.array(list(scores.values())), self.truth.params)
        return dict(zip(scores, values.astype(float).tolist(), strict=True))

    def older(self, jobseeker_id: str, recorded: bool) -> bool:
        """Whether a person is 45+: the hidden truth where known, else the record."""
        if self.truth and jobseeker_id in self.truth.position:
            return bool(self.truth.arrays.older[self.truth.position[jobseeker_id]])
        return recorded
