"""Ranker commands: train, promote, eval."""

from __future__ import annotations

import argparse
import json
import sys

from api.cli.common import open_matcher
from matching.config import get_settings


def cmd_train(args: argparse.Namespace) -> int:
    from training.train_ranker import train

    print(json.dumps(train(open_matcher(), promote_if_better=not args.no_promote), indent=2))
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from models.registry import promote

    s = get_settings()
    promote(s.tracking_uri, s.home, str(args.version))
    print(f"version {args.version} is now champion (restart or reload the service)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.offline import evaluate
    from eval.report import log_report, write_report
    from eval.transfer import evaluate_transfer

    matcher = open_matcher()
    matcher.reload_ranker()
    progress = not args.json
    ev = evaluate(matcher, progress=progress, max_queries=args.max_queries)
    if not args.no_transfer:
        ev.transfer = evaluate_transfer(matcher, matcher.ranker, progress=progress)
    folder = write_report(ev, matcher.settings.reports_dir)
    log_report(folder, ev, matcher.settings.tracking_uri, matcher.settings.home)
    if args.json:
        print(json.dumps(ev.as_json()))
    else:
        print((folder / "report.md").read_text())
        print(f"report: {folder / 'report.md'}")
    return 0


def cmd_feature_ceiling(args: argparse.Namespace) -> int:
    from eval.ceiling import feature_ceiling

    matcher = open_matcher()
    matcher.reload_ranker()
    try:
        result = feature_ceiling(matcher, progress=not args.json, max_queries=args.max_queries)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"NDCG@10 on {result['scored_queries']} validation vacancies (truth-fitted models: "
        f"fitted on {result['fitted_queries']} others; never the test split)"
    )
    for method, m in result["ndcg@10"].items():
        print(f"{method:24s} {m['mean']:.3f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}]")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("train", help="train rankers on outcomes, log to MLflow, promote")
    s.add_argument("--no-promote", action="store_true", help="register without promoting")
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("promote", help="make a registered ranker version the champion")
    s.add_argument("version")
    s.set_defaults(func=cmd_promote)
    s = sub.add_parser(
        "eval", help="evaluate on held-out vacancies and people (both directions), write a report"
    )
    s.add_argument("--json", action="store_true")
    s.add_argument("--max-queries", type=int, default=None, help="per direction")
    s.add_argument("--no-transfer", action="store_true", help="skip the perturbed-world check")
    s.set_defaults(func=cmd_eval)
    s = sub.add_parser(
        "feature-ceiling",
        help="validation only: NDCG@10 of models fitted on the demo truth over the served features",
    )
    s.add_argument("--json", action="store_true")
    s.add_argument("--max-queries", type=int, default=None)
    s.set_defaults(func=cmd_feature_ceiling)
