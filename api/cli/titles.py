"""Title commands: rank-titles (TREC run), train-titles, eval-titles, title-benchmark."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.cli.common import named_or_served_embedder
from matching.config import get_settings


def cmd_rank_titles(args: argparse.Namespace) -> int:
    from eval.titles import rank_corpus, read_titles
    from matching.title_rerank import TitleMatcherSettings

    try:
        queries, corpus = read_titles(Path(args.queries)), read_titles(Path(args.corpus))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    embedder = named_or_served_embedder(args.embedder)
    cache_dir = get_settings().cache_dir
    matcher = None if args.first_stage else TitleMatcherSettings.load(cache_dir, embedder.model_id)
    for line in rank_corpus(embedder, cache_dir, matcher, queries, corpus, args.top):
        print(line)
    return 0


def cmd_train_titles(args: argparse.Namespace) -> int:
    from training.train_titles import train_title_matcher

    embedder = named_or_served_embedder(args.embedder)
    settings = train_title_matcher(embedder, get_settings().cache_dir, args.train_occupations)
    r = settings.report
    print(f"embedder: {embedder.model_id}")
    print(
        f"fusion weights (chosen on {r['validation_queries']} validation titles): "
        f"{settings.weights}"
    )
    for name in (
        "validation_first_stage",
        "validation_second_stage",
        "validation_second_stage_without_kinds",
    ):
        m = r[name]
        print(f"{name}: MRR {m['mrr']:.3f}  NDCG@10 {m['ndcg@10']:.3f}  R@10 {m['recall@10']:.3f}")
    for name, key in (
        ("", "second_stage_kept"),
        (" without kinds", "second_stage_without_kinds_kept"),
    ):
        kept = "kept" if r[key] else "not kept (no gain on validation)"
        print(f"second stage{name}: {kept}")
    print(f"{r['seconds']:.0f} s")
    return 0


def cmd_eval_titles(args: argparse.Namespace) -> int:
    from eval.titles import evaluate_run, read_qrels, read_run

    try:
        m = evaluate_run(read_run(Path(args.run)), read_qrels(Path(args.qrels)))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"MRR\t{m.mrr:.4f}\nNDCG@10\t{m.ndcg10:.4f}\nRecall@10\t{m.recall10:.4f}\n"
        f"queries\t{m.queries}"
    )
    return 0


def cmd_title_benchmark(args: argparse.Namespace) -> int:
    from eval.title_benchmark import benchmark, markdown_report

    embedder = named_or_served_embedder(args.embedder)
    result = benchmark(embedder, get_settings().cache_dir)
    text = "# Title matching: development set and held-out occupations\n\n" + markdown_report(
        result
    )
    if args.write:
        Path(args.write).write_text(text)
    print(json.dumps(result, indent=2, default=str) if args.json else text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("rank-titles", help="rank a corpus of titles, TREC run on stdout")
    s.add_argument("--queries", required=True, help="id<TAB>title file")
    s.add_argument("--corpus", required=True, help="id<TAB>title file")
    s.add_argument("--top", type=int, default=100)
    s.add_argument("--embedder", help="'base' or a registered version (default: the served one)")
    s.add_argument(
        "--first-stage", action="store_true", help="fusion with the shipped weights only"
    )
    s.set_defaults(func=cmd_rank_titles)
    s = sub.add_parser(
        "train-titles", help="fusion weights and second stage of the title matcher, per embedder"
    )
    s.add_argument("--embedder", help="'base' or a registered version (default: the served one)")
    s.add_argument(
        "--train-occupations", type=int, default=900, help="training occupations (all their titles)"
    )
    s.set_defaults(func=cmd_train_titles)
    s = sub.add_parser("eval-titles", help="MRR, NDCG@10, Recall@10 of a TREC run")
    s.add_argument("--run", required=True)
    s.add_argument("--qrels", required=True)
    s.set_defaults(func=cmd_eval_titles)
    s = sub.add_parser(
        "title-benchmark", help="signals, fusion, second stage and speed: dev and held-out sets"
    )
    s.add_argument("--write", help="also write the Markdown report to this file")
    s.add_argument("--json", action="store_true", help="print the figures as JSON")
    s.add_argument("--embedder", help="'base' or a registered version (default: the served one)")
    s.set_defaults(func=cmd_title_benchmark)
