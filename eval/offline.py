"""Offline evaluation on held-out vacancies and people, in both directions, with intervals.

Protocol (`werkmatch eval`): the test split is read here only, once per report. Test
vacancies are ranked against test jobseekers only (and the reverse), so nobody judged was
seen in training; availability is judged on a fixed reference date. On the same retrieved
candidates it compares cosine (the nearest, no filters), cosine + hard filters, the
hand-weighted scorer, the learned ranker and the oracle (the hidden truth itself), each with a
95% bootstrap interval over queries, plus the ranker's ratio to cosine + filters (paired).
Fairness: the share of 45+ and of > 12-months-unemployed people in the top 10, divided by
their share among the suitable candidates, for the ranker with and without fair re-ranking.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from tqdm.auto import tqdm

from eval.hand_weighted import hand_weighted_scores
from eval.judge import Judge
from eval.metrics import bootstrap_ci, bootstrap_ratio_ci, ndcg_at_k, recall_at_k, reciprocal_rank
from matching.fairness import RECORDED_OLDER, fair_order, groups_of
from matching.query import TARGET, Candidates, QueryContext, eligible, retrieve, score
from matching.ranking import ranker_name
from matching.records import Kind, kind_of
from matching.service import Matcher
from models.registry import ServedRanker

log = logging.getLogger("werkmatch")

METHODS = ("cosine", "cosine_filters", "hand_weighted", "ranker", "ranker_fair", "oracle")
METRICS = ("ndcg@10", "recall@50", "mrr")
TOP = 10


@dataclass
class Direction:
    """Per-query metric values of every method in one direction, and exposure counts."""

    values: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {m: {k: [] for k in METRICS} for m in METHODS}
    )
    exposure_counts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def queries(self) -> int:
        return len(self.values["ranker"]["ndcg@10"])

    def means(self, metric: str = "ndcg@10") -> dict[str, float]:
        """Mean of one metric per method."""
        return {m: _mean(v[metric]) for m, v in self.values.items()}

    def summary(self) -> dict:
        """Mean and ci95 per metric and method, and the ranker's paired ratios."""
        out: dict = {"queries": self.queries}
        for metric in METRICS:
            out[metric] = {
                m: {"mean": _mean(v[metric]), "ci95": list(bootstrap_ci(v[metric]))}
                for m, v in self.values.items()
                if v[metric]
            }
        nd = {m: v["ndcg@10"] for m, v in self.values.items()}
        out["ratio_ndcg@10"] = {
            f"ranker/{b}": {
                "mean": _mean(nd["ranker"]) / _mean(nd[b]) if _mean(nd[b]) else float("nan"),
                "ci95": list(bootstrap_ratio_ci(nd["ranker"], nd[b])),
            }
            for b in ("cosine", "cosine_filters", "hand_weighted")
            if nd[b]
        }
        if self.exposure_counts:
            out["exposure"] = exposure(self.exposure_counts)
        return out


@dataclass
class Evaluation:
    """The report's figures: both directions, what they were measured on and how."""

    forward: Direction
    reverse: Direction
    ranker: str
    relevance: str
    split: str | None
    as_of: dt.date
    transfer: dict | None = None

    def as_json(self) -> dict:
        out = {**self.forward.summary(), "reverse": self.reverse.summary()}
        if self.transfer is not None:
            out["transfer"] = self.transfer
        out["split"] = {
            "name": self.split,
            "jobseekers_disjoint": self.split == "test",
            "vacancies_disjoint": self.split == "test",
        }
        return out | {"ranker": self.ranker, "relevance": self.relevance, "as_of": str(self.as_of)}


def evaluate(
    matcher: Matcher,
    ranker: ServedRanker | None = None,
    split: str | None = "test",
    as_of: dt.date | None = None,
    max_queries: int | None = None,
    progress: bool = True,
) -> Evaluation:
    """Evaluate every method in both directions on the records of `split`."""
    from demo.world import REFERENCE_DATE

    ranker = ranker if ranker is not None else matcher.ranker
    as_of = as_of or REFERENCE_DATE
    judge = Judge(matcher, split)
    ctx = matcher.context(as_of)
    result = []
    for kind in (Kind.VACANCIES, Kind.JOBSEEKERS):
        found = Direction()
        ids = judge.ids[kind][:max_queries]
        for qid in tqdm(ids, desc=f"evaluating {kind.value}", disable=not progress):
            _evaluate_query(ctx, judge, matcher.store.get(kind, qid), ranker, found)
        result.append(found)
    return Evaluation(*result, ranker_name(ranker), judge.source, split, as_of)


@dataclass
class Judged:
    """One query's judged candidates: what the served pipeline ranks, with their truth."""

    found: Candidates  # the eligible nearest judged records, scored by the ranker
    keep: np.ndarray  # positions in `found` that pass the hard filters
    suitability: dict[str, float]  # every judged record's suitability (or outcome gain)
    grades: dict[str, float]
    relevant: set[str]

    @cached_property
    def ids(self) -> np.ndarray:
        """Ids of the candidates that pass the hard filters, in retrieval order."""
        return np.array([self.found.records[i].id for i in self.keep], dtype=object)


def judged_candidates(ctx: QueryContext, judge: Judge, record, ranker) -> Judged | None:
    """The candidates every method ranks for one query (None: nobody judged relevant)."""
    kind = kind_of(record)
    allowed = judge.rowids[TARGET[kind]]
    suit = judge.scores(kind, record.id)
    grades = judge.grades(suit)
    relevant = {i for i, g in grades.items() if g >= judge.relevant_from}
    if not relevant:
        return None
    among = np.intersect1d(eligible(ctx, record).rowids, allowed)
    found = score(ctx, record, retrieve(ctx, record, among), ranker)
    return Judged(found, np.flatnonzero(found.passed), suit, grades, relevant)


def _evaluate_query(ctx: QueryContext, judge: Judge, record, ranker, out: Direction) -> None:
    """Rank one query's candidates with every method and add its metric values to `out`."""
    judged = judged_candidates(ctx, judge, record, ranker)
    if judged is None:
        return
    kind = kind_of(record)
    nearest_all = retrieve(ctx, record, judge.rowids[TARGET[kind]])
    found, keep, ids = judged.found, judged.keep, judged.ids
    suit, grades, relevant = judged.suitability, judged.grades, judged.relevant
    scores = found.pairs.scores[keep]
    rankings = {
        "cosine": [r.id for r in nearest_all.records],
        "cosine_filters": list(ids),  # retrieval order: most similar first
        "hand_weighted": _by(ids, hand_weighted_scores(found.pairs.features.X[keep])),
        "ranker": _by(ids, scores),
        "oracle": _by(ids, np.array([suit.get(i, -np.inf) for i in ids])),
    }
    if kind == Kind.VACANCIES:
        people = [found.records[i] for i in keep]
        rankings["ranker_fair"] = list(ids[fair_order(scores, people, TOP)])
    else:
        rankings["ranker_fair"] = rankings["ranker"]  # groups are of people, not vacancies
    all_gains = list(grades.values())
    for method, ranked in rankings.items():
        gains = [grades.get(i, 0.0) for i in ranked]
        v = out.values[method]
        v["ndcg@10"].append(ndcg_at_k(gains, all_gains, TOP))
        v["recall@50"].append(recall_at_k(ranked, relevant, 50))
        v["mrr"].append(reciprocal_rank(ranked, relevant))
    if kind == Kind.VACANCIES:
        _count_exposure(judge, found, keep, rankings, relevant, out)


def _by(ids: np.ndarray, scores: np.ndarray) -> list[str]:
    return list(ids[np.argsort(-np.asarray(scores, dtype=float), kind="stable")])


def _count_exposure(judge, found, keep, rankings, relevant, out: Direction) -> None:
    """Add top-10 and suitable-pool counts (all, 45+, > 12 months) per method to `out`."""
    by_id = {found.records[i].id: found.records[i] for i in keep}
    suitable = [j for i, j in by_id.items() if i in relevant]
    pool = _flag_counts(judge, suitable)
    for method in ("cosine_filters", "hand_weighted", "ranker", "ranker_fair", "oracle"):
        top = [by_id[i] for i in rankings[method][:TOP]]
        counts = np.concatenate([_flag_counts(judge, top), pool])
        out.exposure_counts[method] = out.exposure_counts.get(method, 0) + counts


def _flag_counts(judge: Judge, people: list) -> np.ndarray:
    g = groups_of(people, [judge.older(j.id, j.age_band in RECORDED_OLDER) for j in people])
    return np.array([len(people), int((g >= 2).sum()), int((g % 2 == 1).sum())], dtype=float)


def exposure(counts: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per method: share of each group in the top 10, its share among the suitable, ratio."""
    out = {}
    for method, c in counts.items():
        top, pool = c[:3], c[3:]
        row = {}
        for name, k in (("age_45_plus", 1), ("unemployed_12m_plus", 2)):
            share_top = top[k] / top[0] if top[0] else float("nan")
            share_pool = pool[k] / pool[0] if pool[0] else float("nan")
            row[f"share_top10_{name}"] = share_top
            row[f"share_suitable_{name}"] = share_pool
            row[name] = share_top / share_pool if share_pool else float("nan")
        out[method] = row
    return out


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")
