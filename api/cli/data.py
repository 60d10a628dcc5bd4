"""Data directory commands: prepare-model, setup, demo, ingest, keys, serve, health,
backup, restore."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.cli.common import open_matcher, processes
from matching.config import get_settings

ROLES = ["matchmaker", "accountmanager", "werkcoach", "datascientist", "admin"]


def demo_keys(matcher) -> dict[str, str]:
    """One API key per role for the demo's users (demo.staff), printed and kept in
    demo/api_keys.txt (0600)."""
    from demo.staff import demo_users

    ledger = matcher.store.ledger
    keys = {
        role: ledger.create_key(role, "demo", user.user_id).key
        for role, user in demo_users(matcher.store).items()
    }
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
    loaded = load_demo(matcher, args.jobseekers, args.vacancies, args.seed, embed=not args.no_embed)
    print(json.dumps(loaded))
    for role, key in demo_keys(matcher).items():
        print(f"{role}\t{key}")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Model, demo world (when the store is empty) and indexes: everything `serve` needs."""
    set_up_and_report(open_matcher(), args)
    return 0


def set_up_and_report(matcher, args: argparse.Namespace) -> None:
    """`training.bootstrap.set_up` on the matcher, and what it did on stdout (the demo's
    keys among it)."""
    from training.bootstrap import set_up

    summary = set_up(matcher, args.jobseekers, args.vacancies, args.seed)
    if summary.demo is not None:
        print(json.dumps({"demo": summary.demo}))
        print("API keys of the demo (one per role, also in demo/api_keys.txt):")
        for role, key in demo_keys(matcher).items():
            print(f"{role}\t{key}")
    if summary.first_embedder is not None:
        print(json.dumps({"first_embedder": summary.first_embedder}))
        print(
            "serving the static model first; `werkmatch serve` embeds with e5 in the "
            "background, swaps, then retrains the ranker (progress: GET /health)"
        )
    if summary.ranker is not None:
        print(json.dumps(summary.ranker))
    if summary.risk is not None:
        print(json.dumps({"risk": summary.risk}))
    print(json.dumps(summary.indexes))


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
    """create ROLE (for --user, made or updated with --name/--team/--regions; without
    --user, a user of its own with no team and no regions) | list | revoke | rotate KEY_ID."""
    store = open_matcher().store
    ledger = store.ledger
    if args.action == "create":
        if args.target not in ROLES:
            print(f"error: ROLE must be one of {', '.join(ROLES)}", file=sys.stderr)
            return 2
        user = _user_for(store, args)
        print(ledger.create_key(user.role, args.label, user.user_id, args.days).key)  # only it
        return 0
    if args.action in ("revoke", "rotate"):
        done = ledger.revoke_key(args.target) if args.action == "revoke" else None
        if args.action == "rotate" and args.target:
            done = ledger.rotate_key(args.target, args.days)
        if not args.target or not done:
            print(f"error: no active key {args.target!r}", file=sys.stderr)
            return 2
        if args.action == "rotate":
            print(done.key)
        return 0
    for k in ledger.list_keys():
        state = "revoked" if k["revoked_at"] else f"active until {k['expires_at']:%Y-%m-%d}"
        print(f"{k['key_id']}\t{k['role']}\t{k['user_id'] or ''}\t{k['label'] or ''}\t{state}")
    return 0


def _user_for(store, args: argparse.Namespace):
    """The user a new key belongs to: --user (made or updated), or one of the key's own."""
    import secrets

    from matching.directory import User

    user_id = args.user or f"{args.target}-{secrets.token_hex(3)}"
    known = store.directory.user(user_id)
    regions = tuple(r for r in (args.regions or "").split(",") if r)
    if known is None or args.name or args.team or regions:
        user = User(
            user_id,
            args.name or (known.name if known else args.label or user_id),
            args.target,
            args.team or (known.team if known else None),
            regions or (known.regions if known else ()),
        )
        store.directory.put_user(user)
        return user
    return known


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import app_from_environment
    from api.request_log import log_config

    settings = get_settings()
    matcher = None
    if args.setup:  # in this process: `serve` then imports and loads nothing twice
        matcher = open_matcher()
        set_up_and_report(matcher, args)
    keys = settings.home / "demo" / "api_keys.txt"
    print(
        f"werkplek: http://{args.host}:{args.port}/werkplek/ (sign in with your key"
        + (f"; the demo's are in {keys})" if keys.exists() else ")"),
        flush=True,
    )
    # Several processes each build the app themselves, every one a replica of the others on
    # the same data directory; uvicorn needs the factory by name for that.
    several = args.workers > 1
    matcher = None if several else matcher  # each worker opens its own
    uvicorn.run(
        "api.app:app_from_environment" if several else app_from_environment(matcher),
        factory=several,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_config=log_config(),
        access_log=False,
    )
    return 0


def cmd_health(_: argparse.Namespace) -> int:
    print(json.dumps(open_matcher().health().as_dict(), indent=2))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Database (online), indexes and registry into an empty folder, with a manifest."""
    from matching.backup import BackupError, backup

    matcher = open_matcher()
    matcher.serving.indexer.flush()
    try:
        manifest = backup(matcher.settings, matcher.store, Path(args.folder))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"files": len(manifest.files), "records": manifest.records}))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """A backup into the configured (fresh) data directory; checks every file's hash."""
    from matching.backup import BackupError, restore

    try:
        manifest = restore(Path(args.folder), get_settings())
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"restored": manifest.created_at, "records": manifest.records}))
    return 0


def cmd_copy_database(args: argparse.Namespace) -> int:
    """Every table of SRC_URL into the empty database DST_URL (across backends)."""
    from matching.transfer import copy_database

    report = copy_database(args.source, args.target)
    print(json.dumps({"rows": report.rows}))
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
        _world_arguments(s)
        if name == "demo":
            s.add_argument("--no-embed", action="store_true", help="store only; embed later")
        s.set_defaults(func=func)
    s = sub.add_parser("ingest", help="bulk ingest a CSV, Parquet or JSONL file")
    s.add_argument("kind", choices=["jobseekers", "vacancies"])
    s.add_argument("file")
    s.set_defaults(func=cmd_ingest)
    s = sub.add_parser("keys", help="API keys: create ROLE | list | revoke KEY_ID | rotate KEY_ID")
    s.add_argument("action", choices=["create", "list", "revoke", "rotate"])
    s.add_argument("target", nargs="?", metavar="ROLE|KEY_ID")
    s.add_argument("--label")
    s.add_argument("--user", help="the named user the key belongs to (made if new)")
    s.add_argument("--name", help="the user's name")
    s.add_argument("--team", help="the user's team, e.g. 'Werkplein Rijnmond'")
    s.add_argument("--regions", help="arbeidsmarktregio codes the user serves, e.g. AM22,AM23")
    s.add_argument("--days", type=float, default=90.0, help="valid for this many days")
    s.set_defaults(func=cmd_keys)
    s = sub.add_parser("serve", help="start the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--workers",
        type=processes,
        default=1,
        help="server processes, each with its own copy of the indexes (memory x N)",
    )
    s.add_argument(
        "--setup", action="store_true", help="`werkmatch setup` first, in the same process"
    )
    _world_arguments(s)
    s.set_defaults(func=cmd_serve)
    sub.add_parser("health", help="model, index sizes, store status").set_defaults(func=cmd_health)
    s = sub.add_parser("backup", help="copy database, indexes and registry into FOLDER")
    s.add_argument("folder")
    s.set_defaults(func=cmd_backup)
    s = sub.add_parser(
        "copy-database", help="copy every table of SRC_URL into the empty database DST_URL"
    )
    s.add_argument("source", metavar="SRC_URL")
    s.add_argument("target", metavar="DST_URL")
    s.set_defaults(func=cmd_copy_database)
    s = sub.add_parser("restore", help="restore a backup FOLDER into a fresh data directory")
    s.add_argument("folder")
    s.set_defaults(func=cmd_restore)


def _world_arguments(s: argparse.ArgumentParser) -> None:
    """The demo world's size and seed (`demo`, `setup`, `serve --setup`): loaded only into
    an empty store."""
    s.add_argument("--jobseekers", type=int, default=5000, help="demo world (empty store)")
    s.add_argument("--vacancies", type=int, default=1500, help="demo world (empty store)")
    s.add_argument("--seed", type=int, default=42, help="demo world (empty store)")
