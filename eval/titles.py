"""Title ranking on any data: TSV in, TREC run out, MRR / NDCG@10 / Recall@10 from qrels."""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from eval.metrics import ndcg_at_k, recall_at_k, reciprocal_rank
from matching.timing import stage
from matching.title_rerank import TitleMatcherSettings
from matching.title_vectors import TitleVectorCache
from matching.titles import SIGNALS, TitleRanker, dense, standardise, top_columns

RUN_TAG = "werkmatch"


def read_titles(path: Path) -> list[tuple[str, str]]:
    """`id<TAB>title` rows (blank lines skipped); raises ValueError on a malformed line."""
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for n, line in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if not line or not "".join(line).strip():
                continue
            if len(line) < 2 or not line[0].strip():
                raise ValueError(f"{path.name}:{n}: expected id<TAB>title")
            rows.append((line[0].strip(), line[1].strip()))
    return rows


def read_qrels(path: Path) -> dict[str, set[str]]:
    """TREC qrels (`qid 0 docid relevance`), relevance > 0 counts as relevant."""
    rel: dict[str, set[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise ValueError(f"{path.name}:{n}: expected 'qid 0 docid relevance'")
        if float(parts[3]) > 0:
            rel.setdefault(parts[0], set()).add(parts[2])
    return rel


def trec_lines(qids: Sequence[str], ranked: Iterable) -> Iterable[str]:
    """`qid Q0 docid rank score werkmatch` lines of a run."""
    for qid, r in zip(qids, ranked, strict=True):
        for rank, (doc, score) in enumerate(zip(r.ids, r.scores, strict=True), start=1):
            yield f"{qid} Q0 {doc} {rank} {score:.6f} {RUN_TAG}"


def read_run(path: Path) -> dict[str, list[str]]:
    """A TREC run as qid -> doc ids in rank order."""
    run: dict[str, list[tuple[int, str]]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise ValueError(f"{path.name}:{n}: expected 'qid Q0 docid rank score tag'")
        run.setdefault(parts[0], []).append((int(parts[3]), parts[2]))
    return {q: [d for _, d in sorted(docs)] for q, docs in run.items()}


@dataclass
class TitleMetrics:
    mrr: float
    ndcg10: float
    recall10: float
    queries: int

    def row(self) -> dict[str, float]:
        return {"mrr": self.mrr, "ndcg@10": self.ndcg10, "recall@10": self.recall10}


def evaluate_run(run: dict[str, list[str]], qrels: dict[str, set[str]]) -> TitleMetrics:
    """Mean MRR, NDCG@10 (binary gains) and Recall@10 over the queries that have qrels."""
    mrr, ndcg, rec = [], [], []
    for qid, relevant in qrels.items():
        ranked = run.get(qid, [])
        mrr.append(reciprocal_rank(ranked, relevant))
        ndcg.append(
            ndcg_at_k([1.0 if d in relevant else 0.0 for d in ranked], [1.0] * len(relevant), 10)
        )
        rec.append(recall_at_k(ranked, relevant, 10))
    return TitleMetrics(_mean(mrr), _mean(ndcg), _mean(rec), len(qrels))


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def dev_benchmark_dir() -> Path:
    with resources.as_file(resources.files("eval") / "data" / "jobtitle-sim-nl") as p:
        return Path(p)


def read_benchmark(folder: Path | None = None):
    """(queries, corpus, qrels) of a title benchmark folder (default: the development set)."""
    folder = folder or dev_benchmark_dir()
    return (
        read_titles(folder / "queries.tsv"),
        read_titles(folder / "corpus_documents.tsv"),
        read_qrels(folder / "annotations.tsv"),
    )


def run_from_scores(qids, ids, scores, top: int = 100) -> dict[str, list[str]]:
    """A run (qid -> the `top` ids by score) from a (queries x corpus) score matrix."""
    order = top_columns(dense(scores), top)
    return {q: [ids[j] for j in row] for q, row in zip(qids, order, strict=True)}


def title_ranker(
    embedder,
    cache_dir: Path | None = None,
    settings: TitleMatcherSettings | None = None,
    unknown_labels: frozenset[str] = frozenset(),
) -> TitleRanker:
    """The title ranker with all signals (the taxonomy one needs the ESCO index, less
    `unknown_labels`), corpus vectors cached by text, and `settings` (fusion weights, second
    stage) when given."""
    from matching.occupations import OccupationIndex

    occupations = OccupationIndex(embedder, cache_dir, unknown_labels)
    cache = None
    if cache_dir is not None:
        cache = TitleVectorCache(embedder, cache_dir)
        cache.add(occupations.ranker.titles_, occupations.ranker.vectors_)  # ESCO's, once
    ranker = TitleRanker(embedder, occupations=occupations, vector_cache=cache)
    if settings is not None:
        ranker.weights, ranker.second_stage = dict(settings.weights), settings.second_stage
    return ranker


QUERY_BATCH = 256  # queries scored together: one encoder batch, bounded score matrices


def rank_batched(ranker: TitleRanker, texts: Sequence[str], top: int = 100) -> list:
    """`ranker.rank` over `texts` in batches of QUERY_BATCH (what `rank-titles` serves)."""
    return [
        r
        for i in range(0, len(texts), QUERY_BATCH)
        for r in ranker.rank(texts[i : i + QUERY_BATCH], top)
    ]


def rank_corpus(embedder, cache_dir, matcher, queries, corpus, top: int = 100) -> Iterator[str]:
    """TREC run lines of `queries` against `corpus`, in batches; queries without a title are
    reported on stderr and skipped; timings go to stderr too."""
    from matching.titles import EmptyTitleError

    with stage() as fitting:
        ranker = title_ranker(embedder, cache_dir, matcher)
        ranker.fit([c for c, _ in corpus], [t for _, t in corpus])
    valid = []
    for qid, title in queries:
        try:
            ranker.clean([title])
            valid.append((qid, title))
        except EmptyTitleError as exc:
            print(f"warning: query {qid}: {exc}", file=sys.stderr)
    with stage() as ranking:
        ranked = rank_batched(ranker, [t for _, t in valid], top)
    yield from trec_lines([q for q, _ in valid], ranked)
    stages = "fusion + second stage" if ranker.second_stage else "fusion"
    print(
        f"ranked {len(valid)} queries against {len(corpus)} titles ({stages}): corpus "
        f"{fitting.seconds:.1f} s, queries {ranking.seconds:.1f} s "
        f"({len(valid) / max(ranking.seconds, 1e-9):.0f}/s)",
        file=sys.stderr,
    )


def fusion_grid(raw: dict, qids, ids, qrels, step: float = 0.1) -> list[tuple[dict, dict]]:
    """(weights, metrics) for every weighting of two or more signals on a simplex grid.

    Each signal is standardised once; a weighting's fused scores are then the weighted sum
    of the z-scores, which is what `fuse` computes.
    """
    names = [s for s in SIGNALS if s in raw]
    z = {s: standardise(raw[s]) for s in names}
    ticks = np.round(np.arange(0, 1 + 1e-9, step), 3)
    grid = []
    for head in itertools.product(ticks, repeat=len(names) - 1):
        last = float(round(1 - sum(head), 3))
        if last < -1e-9:
            continue
        w = dict(zip(names, [*map(float, head), max(last, 0.0)], strict=True))
        if sum(v > 0 for v in w.values()) < 2:
            continue
        total = sum(np.float32(v) * z[s] for s, v in w.items() if v > 0)
        grid.append((w, evaluate_run(run_from_scores(qids, ids, total), qrels).row()))
    return grid


def best_weights(grid: list[tuple[dict, dict]]) -> dict[str, float]:
    """The weighting with the best MRR, then NDCG@10."""
    return max(grid, key=lambda wm: (wm[1]["mrr"], wm[1]["ndcg@10"]))[0]
