"""Train the title matcher for one embedder: fusion weights and a second stage.

Nothing here reads the test occupations (`eval.title_sets`): the fusion weights are chosen on
the validation occupations' titles (a grid over the simplex, best MRR then NDCG@10), the
second stage is fitted on titles of training occupations, and it is kept only when it beats
the first stage on validation on MRR and NDCG@10. So is a second stage without the label
kind feature, which serves corpora that are not ESCO's labels (`SecondStage.for_corpus`).
The result is stored per embedder (`TitleMatcherSettings`) and served by `rank-titles` and
the benchmark.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from lightgbm import LGBMRanker

from eval.title_sets import TitleSet, esco_title_set
from eval.titles import (
    best_weights,
    evaluate_run,
    fusion_grid,
    rank_batched,
    run_from_scores,
    title_ranker,
)
from matching.timing import stage
from matching.title_rerank import TOP_K, SecondStage, TitleMatcherSettings, candidate_features
from matching.titles import SIGNALS, TitleRanker, fuse, signal_stats, top_columns

log = logging.getLogger("werkmatch")
TRAIN_OCCUPATIONS = 900  # about 3,200 training titles


def signals_on(embedder, cache_dir: Path, title_set: TitleSet) -> tuple[TitleRanker, dict]:
    ranker = title_ranker(embedder, cache_dir, unknown_labels=title_set.unknown_labels)
    ranker.fit([d for d, _ in title_set.corpus], [t for _, t in title_set.corpus])
    return ranker, ranker.signal_scores([t for _, t in title_set.queries])


def fit_second_stage(
    ranker: TitleRanker, raw: dict, weights: dict, title_set: TitleSet, seed: int, kinds: bool
) -> SecondStage:
    """LambdaMART (LightGBM's LambdaRank) on the first stage's best TOP_K per training query,
    with or without the label kind; its settings were chosen on validation titles among three
    (and a pointwise classifier)."""
    stats = signal_stats(raw)
    fused = fuse(raw, weights, stats)
    cols = top_columns(fused, TOP_K)
    queries = ranker.clean([t for _, t in title_set.queries])
    dec = ranker.decompounder_
    x = candidate_features(raw, fused, cols, queries, ranker.titles_, dec, stats, kinds)
    relevant = [title_set.qrels[q] for q, _ in title_set.queries]
    y = np.array(
        [ranker.ids_[j] in relevant[i] for i in range(len(queries)) for j in cols[i]], dtype=int
    )
    model = LGBMRanker(
        objective="lambdarank",
        n_estimators=200,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=50,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
    ).fit(x, y, group=[cols.shape[1]] * len(queries))
    return SecondStage(model, tuple(sorted(raw)), TOP_K, kinds)


def _served_stage(stages: dict, kept: dict) -> SecondStage | None:
    """The stage with label kinds (for ESCO corpora) carrying the one without (for other
    corpora), each only if it won on validation."""
    without = stages[False] if kept[False] else None
    if not kept[True]:
        return without
    stages[True].without_kinds = without
    return stages[True]


def served_run(ranker: TitleRanker, title_set: TitleSet, weights: dict, stage_) -> dict:
    """The run the matcher would serve with these weights and second stage (top 100)."""
    ranker.weights, ranker.second_stage = dict(weights), stage_
    ranked = rank_batched(ranker, [t for _, t in title_set.queries])
    return {q: r.ids for (q, _), r in zip(title_set.queries, ranked, strict=True)}


def train_title_matcher(
    embedder,
    cache_dir: Path,
    train_occupations: int = TRAIN_OCCUPATIONS,
    seed: int = 0,
    sets: tuple[TitleSet, TitleSet] | None = None,
    save_to: Path | None = None,
) -> TitleMatcherSettings:
    """Choose the fusion on validation, fit the second stage on training occupations, keep it
    only if it wins on validation; save and return the settings. `sets` (training,
    validation) replaces the ESCO sets, for quick runs on samples of them; `save_to` is
    where the settings go (default: the embedder's `cache_dir`, where they are served from)."""
    with stage() as took:
        train, val = sets or (
            esco_title_set("train", max_occupations=train_occupations, seed=seed),
            esco_title_set("validation"),
        )
        log.info("titles: signals of %d validation titles", len(val.queries))
        ranker_v, raw_v = signals_on(embedder, cache_dir, val)
        qids = [q for q, _ in val.queries]
        log.info("titles: fusion weights on a grid")
        grid = fusion_grid(raw_v, qids, ranker_v.ids_, val.qrels)
        weights = best_weights(grid)
        first = evaluate_run(run_from_scores(qids, ranker_v.ids_, fuse(raw_v, weights)), val.qrels)
        log.info("titles: signals of %d training titles", len(train.queries))
        ranker_t, raw_t = signals_on(embedder, cache_dir, train)
        stages, scores = {}, {}
        for kinds in (True, False):
            log.info("titles: fitting the second stage (label kinds: %s)", kinds)
            stages[kinds] = fit_second_stage(ranker_t, raw_t, weights, train, seed, kinds)
            run = served_run(ranker_v, val, weights, stages[kinds])
            scores[kinds] = evaluate_run(run, val.qrels)
    kept = {k: scores[k].mrr > first.mrr and scores[k].ndcg10 > first.ndcg10 for k in stages}
    second_stage = _served_stage(stages, kept)
    report = {
        "validation_queries": len(val.queries),
        "train_queries": len(train.queries),
        "validation_first_stage": first.row(),
        "validation_second_stage": scores[True].row(),
        "validation_second_stage_without_kinds": scores[False].row(),
        "signals": {
            s: evaluate_run(run_from_scores(qids, ranker_v.ids_, raw_v[s]), val.qrels).row()
            for s in SIGNALS
            if s in raw_v
        },
        "second_stage_kept": kept[True],
        "second_stage_without_kinds_kept": kept[False],
        "seconds": round(took.seconds, 1),
    }
    settings = TitleMatcherSettings(embedder.model_id, weights, second_stage, report)
    path = settings.save(save_to or cache_dir)
    log.info("title matcher for %s saved in %s: %s", embedder.model_id, path, report)
    return settings
