"""Offline evaluation on held-out vacancies: cosine, cosine + filters and the learned ranker.

Relevance comes from the demo world's hidden suitability when the data directory holds a demo
world (graded 0-3 for every jobseeker), otherwise from outcomes (placed 3, invited 1).
Fairness: the share of age 45+ and of >12-months-unemployed jobseekers in the ranker's top 10,
divided by their share among the suitable retrieved candidates (1.0 = proportional exposure).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from demo.load import truth_dir
from demo.truth import DemoTruth
from eval.metrics import ndcg_at_k, recall_at_k, reciprocal_rank
from matching.outcomes import GAIN, outcome_frame, split_of
from matching.query import candidates, query_vector
from matching.ranking import ranker_name
from matching.records import AgeBand, Kind
from matching.service import Matcher
from models.registry import ServedRanker

log = logging.getLogger("werkmatch")

METHODS = ("cosine", "cosine_filters", "ranker")
OLDER = {AgeBand.FROM_45, AgeBand.FROM_55}
RELEVANT_GRADE = 2


@dataclass
class Evaluation:
    """Metrics per method, exposure ratios and what they were measured on."""

    metrics: dict[str, dict[str, float]]
    exposure: dict[str, float]
    vacancies: int
    relevance: str
    ranker: str
    per_vacancy: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            **self.metrics,
            "exposure": self.exposure,
            "vacancies": self.vacancies,
            "relevance": self.relevance,
            "ranker": self.ranker,
        }


class _Relevance:
    def __init__(self, matcher: Matcher) -> None:
        self.truth = DemoTruth.load(truth_dir(matcher.settings.home))
        self.source = (
            "demo truth (hidden suitability, grades 0-3)"
            if self.truth
            else ("outcomes (placed 3, invited 1)")
        )
        if self.truth is None:
            o = outcome_frame(matcher.store.ledger)
            self.outcomes: dict[str, dict[str, float]] = {}
            for v, j, out in o.select("vacancy_id", "jobseeker_id", "outcome").iter_rows():
                self.outcomes.setdefault(v, {})[j] = GAIN[out]

    def vacancies(self, matcher: Matcher) -> list[str]:
        ids = self.truth.vacancies if self.truth else self.outcomes
        stored = set(matcher.store.ids(Kind.VACANCIES))
        return sorted(v for v in ids if split_of(v) == "test" and v in stored)

    def grades(self, vacancy_id: str) -> dict[str, float]:
        if self.truth:
            return self.truth.grades(vacancy_id)
        return self.outcomes.get(vacancy_id, {})


def evaluate(
    matcher: Matcher,
    ranker: ServedRanker | None = None,
    progress: bool = True,
    max_vacancies: int | None = None,
) -> Evaluation:
    """Evaluate the three methods on the held-out vacancies in one run."""
    ranker = ranker if ranker is not None else matcher.ranker
    rel = _Relevance(matcher)
    vacancy_ids = rel.vacancies(matcher)[:max_vacancies]
    sums = {m: {"ndcg@10": [], "recall@50": [], "mrr": []} for m in METHODS}
    top_counts = np.zeros(3)  # top-10 members, of which 45+, of which > 12 months
    pool_counts = np.zeros(3)  # suitable retrieved, of which 45+, of which > 12 months
    per_vacancy = []
    ctx = matcher.context()
    js_index = ctx.serving.indexer.index(Kind.JOBSEEKERS)
    for vid in tqdm(vacancy_ids, desc="evaluating", disable=not progress):
        vacancy = matcher.get(Kind.VACANCIES, vid)
        grades = rel.grades(vid)
        relevant = {j for j, g in grades.items() if g >= (RELEVANT_GRADE if rel.truth else 1)}
        if not relevant:
            continue
        all_gains = list(grades.values())
        _, ids = js_index.search(query_vector(ctx, vacancy), 50)
        plain = matcher.store.by_rowids(Kind.JOBSEEKERS, ids[0][ids[0] >= 0].tolist())
        rankings = {"cosine": [plain[int(r)].id for r in ids[0] if int(r) in plain]}
        found = candidates(ctx, vacancy, ranker)
        rankings["cosine_filters"] = [j.id for j in found.records]
        order = np.argsort(-found.pairs.scores, kind="stable")
        rankings["ranker"] = [found.records[i].id for i in order if found.passed[i]]
        row = {"vacancy_id": vid, "relevant": len(relevant)}
        for method, ranked in rankings.items():
            gains = [grades.get(j, 0) for j in ranked]
            m = {
                "ndcg@10": ndcg_at_k(gains, all_gains, 10),
                "recall@50": recall_at_k(ranked, relevant, 50),
                "mrr": reciprocal_rank(ranked, relevant),
            }
            for name, value in m.items():
                sums[method][name].append(value)
                row[f"{method}:{name}"] = value
        per_vacancy.append(row)
        by_id = {j.id: j for j in found.records}
        for j in rankings["ranker"][:10]:
            top_counts += _flags(by_id[j])
        for j in found.records:
            if j.id in relevant:
                pool_counts += _flags(j)
    metrics: dict[str, dict[str, float]] = {}
    for name in ("ndcg@10", "recall@50", "mrr"):
        metrics[name] = {
            m: float(np.mean(sums[m][name])) if sums[m][name] else 0.0 for m in METHODS
        }
    share_top = top_counts[1:] / max(top_counts[0], 1)
    share_pool = pool_counts[1:] / max(pool_counts[0], 1)
    exposure = {
        "age_45_plus": float(share_top[0] / share_pool[0]) if share_pool[0] else float("nan"),
        "unemployed_12m_plus": float(share_top[1] / share_pool[1])
        if share_pool[1]
        else float("nan"),
        "share_top10_age_45_plus": float(share_top[0]),
        "share_suitable_age_45_plus": float(share_pool[0]),
        "share_top10_unemployed_12m_plus": float(share_top[1]),
        "share_suitable_unemployed_12m_plus": float(share_pool[1]),
    }
    return Evaluation(
        metrics, exposure, len(per_vacancy), rel.source, ranker_name(ranker), per_vacancy
    )


def _flags(j) -> np.ndarray:
    return np.array([1.0, float(j.age_band in OLDER), float(j.months_unemployed >= 12)])
