"""The `werkmatch` command line: one module per topic, each adding its own commands.

Every command is a function next to its parser in one of the topic modules (data, lookups,
ranking, risk, bench, titles, embedder, batch); each module's `register(sub)` adds its commands.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from api.cli import batch, bench, data, embedder, lookups, ranking, risk, titles

TOPICS = (data, batch, lookups, ranking, risk, bench, titles, embedder)
NOISY = ("sentence_transformers", "transformers", "httpx", "faiss", "mlflow", "alembic", "urllib3")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="werkmatch", description="Vacancy-jobseeker matching")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    for topic in TOPICS:
        topic.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from matching.errors import DomainError
    from models.registry import NotRegisteredError

    try:
        return args.func(args)
    except (NotRegisteredError, DomainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
