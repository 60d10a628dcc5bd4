"""Data directory commands: prepare-model, setup, demo, ingest, keys, serve, health."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.cli.common import open_matcher
from matching.config import get_settings

ROLES = ["matchmaker", "accountmanager", "werkcoach", "datascientist", "admin"]


def demo_keys(matcher) -> dict[str, str]:
    """One API key per role for the demo, printed and kept in demo/api_keys.txt (0600)."""
    from api.auth import Role

    keys = {r.value: matcher.store.ledger.create_key(r.value, "demo").key for r in Role}
    path = matcher.settings.home / "demo" / "api_keys.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("".join(f"{r}\t{k}\n" for r, k in keys.items()))
    return keys


def cmd_prepare_model(_: argparse.Namespace) -> int:
    from models.embedder import ensure_model

    print(ensure_model(get_settings().embedding_model_dir))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from demo.load import load_demo

    matcher = open_matcher()
    print(json.dumps(load_demo(matcher, args.jobseekers, args.vacancies, args.seed)))
    for role, key in demo_keys(matcher).items():
        print(f"{role}\t{key}")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Model, demo world (when the store is empty) and indexes: everything `serve` needs."""
    from training.bootstrap import set_up

    matcher = open_matcher()
    summary = set_up(matcher, args.jobseekers, args.vacancies, args.seed)
    if summary.demo is not None:
        print(json.dumps({"demo": summary.demo}))
        print("API keys of the demo (one per role, also in demo/api_keys.txt):")
        for role, key in demo_keys(matcher).items():
            print(f"{role}\t{key}")
    if summary.ranker is not None:
        print(json.dumps(summary.ranker))
    print(json.dumps(summary.indexes))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from matching.ingest import IngestFileError
    from matching.records import Kind

    try:
        report = open_matcher().ingest(Kind(args.kind), Path(args.file))
    except IngestFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for e in report.errors:
        print(f"row {e.row}: {e.field}: {e.reason}", file=sys.stderr)
    print(f"{report.stored} of {report.rows} rows stored, {report.bad_rows} rejected")
    return 0 if not report.errors else 1


def cmd_keys(args: argparse.Namespace) -> int:
    ledger = open_matcher().store.ledger
    if args.action == "create":
        if args.target not in ROLES:
            print(f"error: ROLE must be one of {', '.join(ROLES)}", file=sys.stderr)
            return 2
        print(ledger.create_key(args.target, args.label).key)  # only the key, on stdout
        return 0
    if args.action == "revoke":
        if not args.target or not ledger.revoke_key(args.target):
            print(f"error: no active key {args.target!r}", file=sys.stderr)
            return 2
        return 0
    for k in ledger.list_keys():
        state = "revoked" if k["revoked_at"] else "active"
        print(f"{k['key_id']}\t{k['role']}\t{k['label'] or ''}\t{state}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(get_settings()), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_health(_: argparse.Namespace) -> int:
    print(json.dumps(open_matcher().health().as_dict(), indent=2))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("prepare-model", help="convert the embedding model once").set_defaults(
        func=cmd_prepare_model
    )
    for name, func, help_ in (
        ("demo", cmd_demo, "generate and load a demo world"),
        ("setup", cmd_setup, "model, demo world if empty, indexes"),
    ):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--jobseekers", type=int, default=5000)
        s.add_argument("--vacancies", type=int, default=1500)
        s.add_argument("--seed", type=int, default=42)
        s.set_defaults(func=func)
    s = sub.add_parser("ingest", help="bulk ingest a CSV, Parquet or JSONL file")
    s.add_argument("kind", choices=["jobseekers", "vacancies"])
    s.add_argument("file")
    s.set_defaults(func=cmd_ingest)
    s = sub.add_parser("keys", help="API keys: create ROLE | list | revoke KEY_ID")
    s.add_argument("action", choices=["create", "list", "revoke"])
    s.add_argument("target", nargs="?", metavar="ROLE|KEY_ID")
    s.add_argument("--label")
    s.set_defaults(func=cmd_keys)
    s = sub.add_parser("serve", help="start the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)
    sub.add_parser("health", help="model, index sizes, store status").set_defaults(func=cmd_health)
