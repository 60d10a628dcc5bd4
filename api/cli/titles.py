"""Title commands: rank-titles (TREC run), eval-titles, title-benchmark."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli.common import named_or_served_embedder
from matching.config import get_settings


def cmd_rank_titles(args: argparse.Namespace) -> int:
    from eval.titles import read_titles, title_ranker, trec_lines
    from matching.titles import EmptyTitleError

    try:
        queries, corpus = read_titles(Path(args.queries)), read_titles(Path(args.corpus))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ranker = title_ranker(named_or_served_embedder(), get_settings().cache_dir)
    ranker.fit([c for c, _ in corpus], [t for _, t in corpus])
    for qid, title in queries:
        try:
            ranked = ranker.rank([title], top=args.top)
        except EmptyTitleError as exc:
            print(f"warning: query {qid}: {exc}", file=sys.stderr)
            continue
        for line in trec_lines([qid], ranked):
            print(line)
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
    from eval.titles import benchmark, markdown_table

    embedder = named_or_served_embedder(args.embedder)
    table = markdown_table(benchmark(embedder, cache_dir=get_settings().cache_dir))
    text = "# Title ranking on the development benchmark (jobtitle-sim-nl)\n\n" + table + "\n"
    if args.write:
        Path(args.write).write_text(text)
    print(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("rank-titles", help="rank a corpus of titles, TREC run on stdout")
    s.add_argument("--queries", required=True, help="id<TAB>title file")
    s.add_argument("--corpus", required=True, help="id<TAB>title file")
    s.add_argument("--top", type=int, default=100)
    s.set_defaults(func=cmd_rank_titles)
    s = sub.add_parser("eval-titles", help="MRR, NDCG@10, Recall@10 of a TREC run")
    s.add_argument("--run", required=True)
    s.add_argument("--qrels", required=True)
    s.set_defaults(func=cmd_eval_titles)
    s = sub.add_parser("title-benchmark", help="each signal and the fusion on the dev set")
    s.add_argument("--write", help="also write the Markdown table to this file")
    s.add_argument("--embedder", help="'base' or a registered version (default: the served one)")
    s.set_defaults(func=cmd_title_benchmark)
