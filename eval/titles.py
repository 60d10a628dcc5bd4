"""Title ranking on any data: TSV in, TREC run out, MRR / NDCG@10 / Recall@10 from qrels."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from eval.metrics import ndcg_at_k, recall_at_k, reciprocal_rank
from matching.timing import stage
from matching.titles import SIGNALS, TitleRanker, dense, fuse

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
    order = np.argsort(-dense(scores), axis=1, kind="stable")[:, :top]
    return {q: [ids[j] for j in row] for q, row in zip(qids, order, strict=True)}


def title_ranker(embedder, cache_dir: Path | None = None) -> TitleRanker:
    """The fused title ranker with all signals (the taxonomy one needs the ESCO index)."""
    from matching.occupations import OccupationIndex

    return TitleRanker(embedder, occupations=OccupationIndex(embedder, cache_dir))


def normalise_throughput(index, titles: Sequence[str], warmup: int = 128) -> dict[str, float]:
    """Titles per second of `OccupationIndex.normalise` on distinct titles, after warm-up
    on the first `warmup` of them; the timed ones were never seen (no cache hits)."""
    distinct = list(dict.fromkeys(titles))
    index.normalise(distinct[:warmup])
    timed = distinct[warmup:]
    with stage() as took:
        index.normalise(timed)
    seconds = took.seconds
    return {"titles": len(timed), "seconds": seconds, "titles_per_s": len(timed) / seconds}


def benchmark(
    embedder, folder: Path | None = None, step: float = 0.1, cache_dir: Path | None = None
) -> dict:
    """Every signal alone, every weighting on a grid, and the shipped default fusion."""
    from matching.titles import DEFAULT_WEIGHTS

    queries, corpus, qrels = read_benchmark(folder)
    ranker = title_ranker(embedder, cache_dir).fit([c for c, _ in corpus], [t for _, t in corpus])
    speed = normalise_throughput(ranker.occupations, [t for _, t in corpus])
    qids = [q for q, _ in queries]
    raw = ranker.signal_scores([t for _, t in queries])
    ids = ranker.ids_
    rows = {}
    for s in SIGNALS:
        rows[s] = evaluate_run(run_from_scores(qids, ids, raw[s]), qrels).row()
    grid = []
    ticks = np.round(np.arange(0, 1 + 1e-9, step), 3)
    for a, b, c in itertools.product(ticks, ticks, ticks):
        d = float(round(1 - a - b - c, 3))
        if d < -1e-9:
            continue
        w = {"embedding": float(a), "char": float(b), "compound": float(c), "taxonomy": d}
        if sum(v > 0 for v in w.values()) < 2:
            continue
        m = evaluate_run(run_from_scores(qids, ids, fuse(raw, w)), qrels).row()
        grid.append((w, m))
    singles = [rows[s] for s in SIGNALS]
    beating = [w for w, m in grid if all(m[k] > max(x[k] for x in singles) for k in m)]
    best_w, best_m = max(grid, key=lambda wm: (wm[1]["mrr"], wm[1]["ndcg@10"]))
    rows["fused (default weights)"] = evaluate_run(
        run_from_scores(qids, ids, fuse(raw, DEFAULT_WEIGHTS)), qrels
    ).row()
    rows["fused (best on grid)"] = best_m
    return {
        "rows": rows,
        "best_weights": best_w,
        "default_weights": DEFAULT_WEIGHTS,
        "queries": len(qrels),
        "corpus": len(corpus),
        "grid": len(grid),
        "grid_beating_every_signal": len(beating),
        "normalise_speed": speed,
        "embedder": {"model_id": embedder.model_id, "precision": embedder.precision},
    }


def markdown_table(result: dict) -> str:
    lines = ["| signal | MRR | NDCG@10 | Recall@10 |", "|---|---|---|---|"]
    for name, m in result["rows"].items():
        lines.append(f"| {name} | {m['mrr']:.3f} | {m['ndcg@10']:.3f} | {m['recall@10']:.3f} |")
    w = result["best_weights"]
    lines += [
        "",
        f"{result['queries']} queries, {result['corpus']} corpus titles. Best grid weights: "
        f"{w}; shipped defaults: {result['default_weights']}. "
        f"{result['grid_beating_every_signal']} of {result['grid']} weightings on the grid beat "
        "every single signal on all three metrics.",
    ]
    if "normalise_speed" in result:
        sp, e = result["normalise_speed"], result["embedder"]
        lines += [
            "",
            f"Normalising the {sp['titles']:,} distinct corpus titles to ESCO occupations "
            "(fused signals against every Dutch ESCO label): "
            f"**{sp['titles_per_s']:.0f} titles/s** after warm-up "
            f"({e['model_id']}, {e['precision']} matrix products).",
        ]
    return "\n".join(lines)
