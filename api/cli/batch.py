"""`werkmatch embed`: embed pending texts and build the indexes, in-process or on Ray."""

from __future__ import annotations

import argparse
import json

from matching.config import get_settings


def cmd_embed(args: argparse.Namespace) -> int:
    """`--engine local`: this process, as the service does; `--engine ray`: Ray Data workers
    (a local Ray with --workers CPUs, or the cluster at --address)."""
    if args.engine == "local":
        from api.cli.common import open_matcher

        print(json.dumps(open_matcher().prepare(progress=True)))
        return 0
    from matching.cluster import connect, run_on_ray
    from matching.embedders import serving_embedder, target_embedder

    settings = get_settings()
    ref = serving_embedder(settings) or target_embedder(settings)
    connect(args.address, args.workers)
    report = run_on_ray(settings, ref, args.workers, args.partition_rows)
    out = report.as_dict()
    out.pop("done")  # one entry per partition: the log has them
    print(json.dumps(out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("embed", help="embed pending texts and build the indexes (local or Ray)")
    s.add_argument("--engine", choices=["local", "ray"], default="local")
    s.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    s.add_argument("--workers", type=int, default=2, help="Ray Data workers, one CPU each")
    s.add_argument("--partition-rows", type=int, default=1000, help="texts per partition")
    s.set_defaults(func=cmd_embed)
