"""The one query pipeline: query vector -> eligible -> retrieve -> score, in both directions.

A vacancy asks for jobseekers (the matchmaker's shortlist), a jobseeker for open vacancies
(the werkcoach's view). Shortlists, the reverse search, fit checks, training-set building,
offline evaluation and the benchmark all call these functions on one `QueryContext`, with
the ranker passed explicitly (None ranks by cosine), so they can never drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matching.candidates import Eligibility
from matching.filters import Overrides
from matching.labour_market import Market
from matching.ranking import ScoredPairs, score_pairs
from matching.records import (
    UNKNOWN_OCCUPATION,
    Jobseeker,
    Kind,
    Occupation,
    Vacancy,
    VacancyStatus,
    kind_of,
)
from matching.serving import Serving
from matching.shortlist import top_passing
from matching.store import Store
from matching.texts import record_text
from models.registry import ServedRanker

TARGET = {Kind.VACANCIES: Kind.JOBSEEKERS, Kind.JOBSEEKERS: Kind.VACANCIES}


@dataclass(frozen=True)
class QueryContext:
    """What one query reads: one serving snapshot (so the query vector and the index share a
    model), the store, the labour market, how many nearest candidates to retrieve, and the
    date availability is judged on (None: today; evaluation fixes it).

    `query_vectors` keeps each query record's vector by (kind, id, text) for the context's
    life: training or evaluation runs many queries, each asking for its vector twice (search,
    then the similarities of labelled pairs)."""

    serving: Serving
    store: Store
    market: Market | None
    retrieve_n: int
    as_of: dt.date | None = None
    query_vectors: dict[tuple[Kind, str, str], np.ndarray] = field(
        default_factory=dict, compare=False, repr=False
    )


@dataclass
class Retrieved:
    """Records of the target kind with their similarity to the query, best first."""

    rowids: np.ndarray
    similarities: np.ndarray
    records: list[Jobseeker | Vacancy]
    occupations: dict[int, Occupation]

    @classmethod
    def empty(cls) -> Retrieved:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), [], {})


@dataclass
class Candidates:
    """Scored candidates of one query record, in retrieval order."""

    query: Jobseeker | Vacancy
    rowids: np.ndarray
    records: list[Jobseeker | Vacancy]
    pairs: ScoredPairs
    passed: np.ndarray  # the hard filters (and, for vacancies, being open)
    eligibility: Eligibility | None = None

    def top(self, k: int) -> np.ndarray:
        """Positions of the k best-scoring candidates that pass, best first."""
        return top_passing(self.pairs.scores, self.passed, k)


def query_vector(ctx: QueryContext, record: Jobseeker | Vacancy) -> np.ndarray:
    """The record's `query:` embedding under the snapshot's model (cached in the store, and
    in the context)."""
    key = (kind_of(record), record.id, record_text(record))
    vector = ctx.query_vectors.get(key)
    if vector is None:
        rowid = ctx.store.rowid(key[0], record.id)
        vector = ctx.query_vectors[key] = ctx.serving.indexer.query_vector(key[0], rowid, key[2])
    return vector


def remember_query_vectors(ctx: QueryContext, records: Sequence[Jobseeker | Vacancy]) -> None:
    """Put the query vectors of many records of one kind in the context at once (those not
    stored yet encoded in one batch), for a run of queries such as a training set. Records
    not in the store are left out; of two with one id, the last counts."""
    keys = {r.id: (kind_of(r), r.id, record_text(r)) for r in records}
    todo = [k for k in keys.values() if k not in ctx.query_vectors]
    if not todo:
        return
    kind = todo[0][0]
    rowid_of = ctx.store.rowids(kind, [i for _, i, _ in todo])
    todo = [k for k in todo if k[1] in rowid_of]
    rowids, texts = [rowid_of[i] for _, i, _ in todo], [t for _, _, t in todo]
    vectors = ctx.serving.indexer.query_vectors(kind, rowids, texts)
    ctx.query_vectors.update(zip(todo, vectors, strict=True))


def eligible(
    ctx: QueryContext, record: Jobseeker | Vacancy, overrides: Overrides | None = None
) -> Eligibility:
    """Candidates of the other kind that pass the hard filters for `record`."""
    kind = kind_of(record)
    table = ctx.serving.indexer.table(TARGET[kind])
    if kind == Kind.VACANCIES:
        return table.jobseekers_for(record, overrides, ctx.as_of)
    return table.vacancies_for(record, overrides)


def search(
    ctx: QueryContext, record: Jobseeker | Vacancy, among: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rowids and cosines of the `retrieve_n` nearest records of the other kind among the
    rowids `among`, best first, without reading their records."""
    if len(among) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    q = query_vector(ctx, record)
    index = ctx.serving.indexer.index(TARGET[kind_of(record)])
    scores, ids = index.search(q, ctx.retrieve_n, among=among)
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]


def retrieve(ctx: QueryContext, record: Jobseeker | Vacancy, among: np.ndarray) -> Retrieved:
    """The `retrieve_n` nearest records of the other kind among the rowids `among`."""
    if len(among) == 0:
        return Retrieved.empty()
    rowids, scores = search(ctx, record, among)
    return _with_records(ctx, TARGET[kind_of(record)], rowids, scores)


def similarities(ctx: QueryContext, record: Jobseeker | Vacancy, rowids: list[int]) -> np.ndarray:
    """Cosine of the record's query vector with stored vectors of the other kind (0 if none)."""
    q = query_vector(ctx, record)
    target = TARGET[kind_of(record)]
    ids, vecs = ctx.store.vectors.load(target, ctx.serving.model_id, rowids=rowids)
    by_id = dict(zip(ids.tolist(), (vecs @ q).tolist(), strict=True)) if len(ids) else {}
    return np.array([by_id.get(int(r), 0.0) for r in rowids], dtype=float)


def candidates(
    ctx: QueryContext,
    record: Jobseeker | Vacancy,
    ranker: ServedRanker | None,
    overrides: Overrides | None = None,
) -> Candidates:
    """The whole pipeline: eligible, retrieve among them, check, featurise and score."""
    passing, got = nearest(ctx, record, overrides)
    found = score(ctx, record, got, ranker, overrides)
    found.eligibility = passing
    return found


def nearest(
    ctx: QueryContext, record: Jobseeker | Vacancy, overrides: Overrides | None = None
) -> tuple[Eligibility, Retrieved]:
    """The pipeline up to scoring: who passes the hard filters, and the nearest of them."""
    passing = eligible(ctx, record, overrides)
    return passing, retrieve(ctx, record, passing.rowids)


def candidates_among(
    ctx: QueryContext,
    record: Jobseeker | Vacancy,
    rowids: list[int],
    ranker: ServedRanker | None,
) -> Candidates:
    """Given candidates (one fit check, labelled pairs) scored as the pipeline would."""
    sims = similarities(ctx, record, rowids)
    got = _with_records(ctx, TARGET[kind_of(record)], np.asarray(rowids, dtype=np.int64), sims)
    return score(ctx, record, got, ranker)


def score(
    ctx: QueryContext,
    record: Jobseeker | Vacancy,
    got: Retrieved,
    ranker: ServedRanker | None,
    overrides: Overrides | None = None,
) -> Candidates:
    """Pair the query with each retrieved record (vacancy first) and score the pairs."""
    kind = kind_of(record)
    rowid = ctx.store.rowid(kind, record.id)
    own = ctx.store.occupations(kind, [rowid]).get(rowid, UNKNOWN_OCCUPATION)
    others = [got.occupations.get(int(r), UNKNOWN_OCCUPATION) for r in got.rowids]
    n = len(got.records)
    if kind == Kind.VACANCIES:
        pairs = score_pairs(
            [record] * n,
            got.records,
            got.similarities,
            [(own, o) for o in others],
            ctx.market,
            ranker,
            overrides,
            ctx.as_of,
        )
        passed = pairs.checks.passed
    else:
        pairs = score_pairs(
            got.records,
            [record] * n,
            got.similarities,
            [(o, own) for o in others],
            ctx.market,
            ranker,
            overrides,
            ctx.as_of,
        )
        is_open = np.array([v.status == VacancyStatus.OPEN for v in got.records], dtype=bool)
        passed = pairs.checks.passed & is_open
    return Candidates(record, got.rowids, got.records, pairs, passed)


def _with_records(
    ctx: QueryContext, target: Kind, rowids: np.ndarray, sims: np.ndarray
) -> Retrieved:
    """Attach records and occupations (one query), leaving out rowids no longer stored."""
    records, occupations = ctx.store.with_occupations(target, rowids.tolist())
    present = np.array([int(r) in records for r in rowids], dtype=bool)
    rowids, sims = rowids[present], np.asarray(sims)[present]
    return Retrieved(rowids, sims, [records[int(r)] for r in rowids], occupations)
