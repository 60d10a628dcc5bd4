"""`werkmatch title-benchmark`: the title matcher on the development set and on held-out
occupations, signal by signal, fused, and with its second stage, with the speed of each path.

Sets: `dev` (jobtitle-sim-nl, shipped) and `held-out` (`eval.title_sets`, the test
occupations: no trained part has seen them). Every row is reported on all queries and on the
queries whose text equals no corpus title (`no exact label`). The fusion and second stage
are those `werkmatch train-titles` chose for the embedder on validation occupations; the
best weighting on the dev grid is shown for reference only (it is tuned on what it reports).
"""

from __future__ import annotations

import time
from pathlib import Path

from eval.title_sets import TitleSet, esco_title_set
from eval.titles import (
    QUERY_BATCH,
    best_weights,
    evaluate_run,
    fusion_grid,
    rank_batched,
    read_benchmark,
    run_from_scores,
    title_ranker,
)
from matching.timing import stage
from matching.title_rerank import TitleMatcherSettings
from matching.titles import DEFAULT_WEIGHTS, SIGNALS, TitleRanker, fuse


def dev_set(folder: Path | None = None) -> TitleSet:
    queries, corpus, qrels = read_benchmark(folder)
    return TitleSet("dev", queries, corpus, qrels)


def _rows(run: dict, title_set: TitleSet, hard: set[str]) -> dict:
    hard_qrels = {q: r for q, r in title_set.qrels.items() if q in hard}
    return {
        "all": evaluate_run(run, title_set.qrels).row(),
        "no_exact_label": evaluate_run(run, hard_qrels).row() if hard_qrels else None,
    }


def served_row(stage) -> str:
    """The name of the served ranking's row: which second stage served this corpus."""
    if stage is None:
        return "served: fused, no second stage for this corpus"
    return "served: fused + second stage" + ("" if stage.kinds else " without label kinds")


def measure_set(
    embedder, cache_dir, title_set: TitleSet, matcher, grid_step: float | None
) -> tuple[dict, TitleRanker]:
    """Every signal, the fusions and the second stage on one set, and the ranking speed; with
    the fitted ranker (its occupation index serves the normalisation figure)."""
    ranker = title_ranker(embedder, cache_dir, matcher, title_set.unknown_labels)
    with stage() as fitting:
        ranker.fit([d for d, _ in title_set.corpus], [t for _, t in title_set.corpus])
    qids, texts = [q for q, _ in title_set.queries], [t for _, t in title_set.queries]
    hard = {q for q, _ in title_set.queries} - title_set.exact()
    raw = ranker.signal_scores(texts)
    ids = ranker.ids_
    rows = {s: _rows(run_from_scores(qids, ids, raw[s]), title_set, hard) for s in SIGNALS}
    fusions = {"fused (shipped weights)": DEFAULT_WEIGHTS}
    if matcher is not None:
        fusions["fused (weights chosen on validation)"] = matcher.weights
    out: dict = {"corpus": len(title_set.corpus), "queries": len(qids), "hard": len(hard)}
    if grid_step:
        grid = fusion_grid(raw, qids, ids, title_set.qrels, grid_step)
        fusions["fused (best on this set's grid: reference only)"] = best_weights(grid)
        out["grid"] = len(grid)
    for name, w in fusions.items():
        rows[name] = _rows(run_from_scores(qids, ids, fuse(raw, w)), title_set, hard)
    with stage() as ranking:
        ranked = rank_batched(ranker, texts)
    if ranker.second_stage is not None:
        run = {q: r.ids for q, r in zip(qids, ranked, strict=True)}
        rows[served_row(ranker.corpus_stage())] = _rows(run, title_set, hard)
    out |= {
        "rows": rows,
        "fusions": fusions,
        "corpus_seconds": fitting.seconds,
        "queries_per_s": len(texts) / ranking.seconds,
    }
    return out, ranker


def encode_speed(embedder, titles: list[str]) -> float:
    """Short titles per second through the encoder (batches as the corpus cache uses)."""
    from models.embedder import TITLE_BATCH

    embedder.encode(titles[:TITLE_BATCH], "query", batch_size=TITLE_BATCH)  # warm-up
    start = time.perf_counter()
    embedder.encode(titles, "query", batch_size=TITLE_BATCH)
    return len(titles) / (time.perf_counter() - start)


def normalise_speed(index, titles: list[str], warmup: int = 128) -> float:
    """Titles per second of `OccupationIndex.normalise` (ingest) on distinct titles never seen
    before (no cache hits), after warm-up on the first `warmup`."""
    distinct = list(dict.fromkeys(titles))
    index.normalise(distinct[:warmup])
    start = time.perf_counter()
    index.normalise(distinct[warmup:])
    return (len(distinct) - warmup) / (time.perf_counter() - start)


def benchmark(embedder, cache_dir: Path, folder: Path | None = None, step: float = 0.1) -> dict:
    """The report's figures for one embedder (its trained matcher settings if it has them)."""
    matcher = TitleMatcherSettings.load(cache_dir, embedder.model_id)
    held = esco_title_set("test")
    dev, _ = measure_set(embedder, cache_dir, dev_set(folder), matcher, step)
    held_out, ranker = measure_set(embedder, cache_dir, held, matcher, None)
    sets = {"dev": dev, "held-out": held_out}
    sample = list(dict.fromkeys(t for _, t in held.queries))[:1024]
    speed = normalise_speed(ranker.occupations, [t for _, t in held.queries])
    return {
        "normalise_titles_per_s": speed,
        "sets": sets,
        "matcher": None if matcher is None else matcher.report,
        "second_stage": matcher is not None and matcher.second_stage is not None,
        "encode_titles_per_s": encode_speed(embedder, sample),
        "embedder": {"model_id": embedder.model_id, "precision": embedder.precision},
    }


def _cell(m: dict | None) -> str:
    return "-" if m is None else f"{m['mrr']:.3f} / {m['ndcg@10']:.3f} / {m['recall@10']:.3f}"


def markdown_report(result: dict) -> str:
    """The benchmark as Markdown: one table per set, then the speed figures."""
    e = result["embedder"]
    lines = [f"Embedder `{e['model_id']}` ({e['precision']} matrix products).", ""]
    for name, s in result["sets"].items():
        lines += [
            f"### {name}: {s['queries']:,} queries ({s['hard']:,} equal no corpus title), "
            f"{s['corpus']:,} corpus titles",
            "",
            "| ranking | all: MRR / NDCG@10 / R@10 | no exact label: MRR / NDCG@10 / R@10 |",
            "|---|---|---|",
        ]
        lines += [
            f"| {row} | {_cell(m['all'])} | {_cell(m['no_exact_label'])} |"
            for row, m in s["rows"].items()
        ]
        weights = "; ".join(f"{k}: {v}" for k, v in s["fusions"].items())
        lines += ["", f"Weights: {weights}.", ""]
    held = result["sets"]["held-out"]
    lines += [
        "### Speed (2 cores)",
        "",
        f"- ranking held-out queries after the corpus is encoded: "
        f"**{held['queries_per_s']:.0f} queries/s** (batches of {QUERY_BATCH}, all signals"
        f"{', second stage' if result['second_stage'] else ''})",
        f"- encoding new short titles: **{result['encode_titles_per_s']:.0f} titles/s**",
        f"- ingest-time normalisation (title -> ESCO occupation, all 22,807 labels less the "
        f"held-out ones): **{result['normalise_titles_per_s']:.0f} titles/s**",
        f"- held-out corpus ({held['corpus']:,} titles) indexed in {held['corpus_seconds']:.1f} s "
        "(vectors from the cache by title text; the taxonomy profiles computed)",
    ]
    return "\n".join(lines) + "\n"
