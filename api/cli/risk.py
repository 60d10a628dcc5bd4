"""Risk and segment commands: train-risk, risk-report, risk, segment, indicators."""

from __future__ import annotations

import argparse
import getpass
import json

from api.cli.common import open_matcher


def cmd_train_risk(args: argparse.Namespace) -> int:
    from training.train_risk import train_risk

    summary = train_risk(open_matcher(), promote_if_better=not args.no_promote)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_risk_report(args: argparse.Namespace) -> int:
    from training.risk_report import evaluate_risk, write_risk_report

    matcher = open_matcher()
    folder = write_risk_report(evaluate_risk(matcher), matcher.settings.reports_dir / "risk")
    if args.json:
        print((folder / "report.json").read_text())
    else:
        print((folder / "report.md").read_text())
        print(f"report: {folder / 'report.md'}")
    return 0


def cmd_risk(args: argparse.Namespace) -> int:
    """The API's risk read: the champion model, and an audit record of who saw it."""
    matcher = open_matcher()
    matcher.risk.reload()
    (a,) = matcher.risk.assess([args.jobseeker_id])
    matcher.store.ledger.write_audit(
        f"cli:{getpass.getuser()}",
        "cli",
        "werkmatch risk",
        [a.jobseeker_id],
        args.purpose or "risico inzien",
    )
    print(f"{a.jobseeker_id}: risico {a.risk:.0%} op nog werkloos over 12 maanden")
    source = f"werkcoach: {a.override.reason}" if a.override else "model"
    print(f"segment {a.segment.value} ({source}); fase {a.phase_label}; model v{a.model_version}")
    print(f"  {a.base:+.3f}  basis (logit van de gemiddelde werkzoekende)")
    for c in sorted(a.contributions, key=lambda c: -abs(c.contribution)):
        print(f"  {c.contribution:+.3f}  {c.reason}")
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    """A werkcoach's override of the segment, with the reason (audited)."""
    from matching.history import Segment

    matcher = open_matcher()
    who = f"cli:{getpass.getuser()}"
    matcher.risk.override(args.jobseeker_id, Segment(args.segment), args.reason, args.user, who)
    matcher.store.ledger.write_audit(
        who,
        "cli",
        "werkmatch segment",
        [args.jobseeker_id],
        f"segment {args.segment}: {args.reason}",
    )
    print(f"{args.jobseeker_id}: segment {args.segment} ({args.reason})")
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    from eval.indicator_report import write_indicator_report

    matcher = open_matcher()
    matcher.risk.reload()
    folder = matcher.settings.reports_dir / "indicators"
    tables = write_indicator_report(matcher, folder, args.region, args.period)
    if args.json:
        print(json.dumps({k: v.to_dicts() for k, v in tables.items()}, default=str))
    else:
        print((folder / "report.md").read_text())
        print(f"report: {folder / 'report.md'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("train-risk", help="train the risk model on histories, MLflow, promote")
    s.add_argument("--no-promote", action="store_true", help="register without promoting")
    s.set_defaults(func=cmd_train_risk)
    s = sub.add_parser("risk-report", help="the risk model on held-out jobseekers (report)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_risk_report)
    s = sub.add_parser("risk", help="a jobseeker's risk, explanation, segment and phase")
    s.add_argument("jobseeker_id")
    s.add_argument("--purpose", help="why you look (kept in the audit log)")
    s.set_defaults(func=cmd_risk)
    s = sub.add_parser("segment", help="override a jobseeker's service segment, with a reason")
    s.add_argument("jobseeker_id")
    s.add_argument("segment", choices=["digitaal", "groepsgewijs", "intensief"])
    s.add_argument("--reason", required=True)
    s.add_argument("--user", help="the werkcoach's user id")
    s.set_defaults(func=cmd_segment)
    s = sub.add_parser("indicators", help="Werkplein indicators (aggregates), report + plots")
    s.add_argument("--region", help="e.g. AM22")
    s.add_argument("--period", help="YYYY or YYYY-MM")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_indicators)
