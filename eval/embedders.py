"""How well an embedder ranks job titles: the development benchmark and held-out occupations.

`embedding` is the embedder alone (cosine of `query:` vectors of cleaned titles); `fused` is
the whole title matcher (embedding, character n-grams, compounds, taxonomy) built on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.plots import figure
from eval.titles import TitleMetrics, evaluate_run, read_benchmark, run_from_scores, title_ranker
from matching.titles import DEFAULT_WEIGHTS, TitleRanker, fuse


def embedding_metrics(
    embedder,
    queries: Sequence[tuple[str, str]],
    corpus: Sequence[tuple[str, str]],
    qrels: dict[str, set[str]],
) -> TitleMetrics:
    """MRR, NDCG@10 and Recall@10 of the embedding signal alone on (id, title) pairs."""
    ranker = TitleRanker(embedder, weights={"embedding": 1.0})
    ranker.fit([c for c, _ in corpus], [t for _, t in corpus])
    scores = ranker.signal_scores([t for _, t in queries], ["embedding"])["embedding"]
    return evaluate_run(run_from_scores([q for q, _ in queries], ranker.ids_, scores), qrels)


def dev_metrics(embedder) -> TitleMetrics:
    """The embedding signal on the development benchmark."""
    return embedding_metrics(embedder, *read_benchmark())


def fused_dev_metrics(embedder, cache_dir: Path | None = None) -> TitleMetrics:
    """The fused title matcher (shipped weights) on this embedder, on the development set."""
    queries, corpus, qrels = read_benchmark()
    ranker = title_ranker(embedder, cache_dir).fit([c for c, _ in corpus], [t for _, t in corpus])
    scores = fuse(ranker.signal_scores([t for _, t in queries]), DEFAULT_WEIGHTS)
    return evaluate_run(run_from_scores([q for q, _ in queries], ranker.ids_, scores), qrels)


SUBSETS = {
    "dev": "development benchmark",
    "validation": "validation occupations (decide)",
    "held_out": "test occupations",
    "dev_fused": "development, fused matcher",
}


def comparison_table(metrics: dict[str, dict[str, TitleMetrics]], current_label: str) -> str:
    """Markdown: one row per (embedder, evaluation set) with MRR, NDCG@10 and Recall@10."""
    names = {"current": current_label, "candidate": "fine-tuned candidate"}
    lines = ["| embedder | evaluation | MRR | NDCG@10 | Recall@10 |", "|---|---|---|---|---|"]
    for subset, label in SUBSETS.items():
        for name, per_set in metrics.items():
            if subset in per_set:
                m = per_set[subset]
                lines.append(
                    f"| {names.get(name, name)} | {label} | {m.mrr:.3f} | {m.ndcg10:.3f} "
                    f"| {m.recall10:.3f} |"
                )
    return "\n".join(lines) + "\n"


def comparison_plot(
    metrics: dict[str, dict[str, TitleMetrics]], path: Path, current_label: str
) -> Path:
    """Bars of NDCG@10 and MRR per evaluation set, current against candidate embedder."""
    import numpy as np

    subsets = [s for s in SUBSETS if all(s in m for m in metrics.values())]
    names = {"current": current_label, "candidate": "fijn-afgesteld"}
    with figure(path, 1, 2, figsize=(10, 3.6)) as (_, axes):
        for ax, metric in zip(axes, ("ndcg10", "mrr"), strict=True):
            for i, (name, per_set) in enumerate(metrics.items()):
                values = [getattr(per_set[s], metric) for s in subsets]
                ax.bar(np.arange(len(subsets)) + i * 0.4, values, width=0.4, label=names[name])
            ax.set_xticks(np.arange(len(subsets)) + 0.2, [SUBSETS[s] for s in subsets], fontsize=8)
            ax.set_title({"ndcg10": "NDCG@10", "mrr": "MRR"}[metric])
            ax.set_ylim(0, 1)
            ax.legend(fontsize=8)
    return path
