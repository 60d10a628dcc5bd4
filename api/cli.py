"""The `werkmatch` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger("werkmatch")


def _matcher():
    from matching.config import get_settings
    from matching.service import Matcher

    return Matcher(get_settings())


def cmd_prepare_model(_: argparse.Namespace) -> int:
    from matching.config import get_settings
    from models.embedder import ensure_model

    path = ensure_model(get_settings().embedding_model_dir)
    print(path)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from training.demo_load import load_demo

    summary = load_demo(_matcher(), args.jobseekers, args.vacancies, args.seed)
    print(json.dumps(summary))
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Model, demo world (when the store is empty) and indexes: everything `serve` needs."""
    from matching.store import Kind
    from training.demo_load import load_demo

    matcher = _matcher()
    if matcher.store.count(Kind.JOBSEEKERS) == 0 and matcher.store.count(Kind.VACANCIES) == 0:
        log.info("empty store: loading the demo world")
        print(json.dumps({"demo": load_demo(matcher, args.jobseekers, args.vacancies, args.seed)}))
    matcher.prepare()
    print(json.dumps(matcher.health()["indexes"]))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from matching.ingest import IngestFileError
    from matching.store import Kind

    try:
        report = _matcher().ingest(Kind(args.kind), Path(args.file))
    except IngestFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for e in report.errors:
        print(f"row {e.row}: {e.field}: {e.reason}", file=sys.stderr)
    print(f"{report.stored} of {report.rows} rows stored, {report.bad_rows} rejected")
    return 0 if not report.errors else 1


def cmd_shortlist(args: argparse.Namespace) -> int:
    from matching.service import NotFoundError

    try:
        result = _matcher().shortlist(args.vacancy_id, k=args.k)
    except NotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        from api.schemas import ShortlistPublic

        print(ShortlistPublic.of(result).model_dump_json(indent=2))
        return 0
    print(format_shortlist(result))
    return 0


def format_shortlist(result) -> str:
    """A readable table of a shortlist."""
    head = (
        f"Shortlist for {result.query_id}: {len(result.items)} shown, "
        f"{result.retrieved} retrieved, {result.passed_filters} passed the filters "
        f"(removed by: {', '.join(f'{k} {v}' for k, v in result.filtered_out.items() if v)})"
    )
    lines = [head, f"{'#':>3}  {'jobseeker':<12} {'score':>6} {'km':>5}  {'region':<5} occupation"]
    for m in result.items:
        occ = m.occupation.get("label") or "-"
        lines.append(
            f"{m.rank:>3}  {m.id:<12} {m.score:>6.3f} {m.distance_km:>5.0f}  "
            f"{m.region:<5} {m.title[:38]:<38} [{occ[:38]}]"
        )
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from matching.config import get_settings

    uvicorn.run(create_app(get_settings()), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_health(_: argparse.Namespace) -> int:
    print(json.dumps(_matcher().health(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="werkmatch", description="Vacancy-jobseeker matching")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
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
    s = sub.add_parser("shortlist", help="jobseekers for a vacancy")
    s.add_argument("vacancy_id")
    s.add_argument("--k", type=int, default=20)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_shortlist)
    s = sub.add_parser("serve", help="start the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)
    sub.add_parser("health", help="model, index sizes, store status").set_defaults(func=cmd_health)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
