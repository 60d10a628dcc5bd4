"""`werkmatch bench` (ingest, embedding, index, recall and latency by size) and
`werkmatch load-bench` (many clients against a served data directory)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import processes
from matching.config import Settings, get_settings

if TYPE_CHECKING:
    from models.embedder import Embedder

log = logging.getLogger("werkmatch")


def _models(args: argparse.Namespace, s: Settings, root: Path) -> dict[str, Embedder]:
    """The serving models asked for by `--models`, e5 (`base`) and the static one."""
    from matching.embedders import EmbedderRef, base_embedder, load_embedder
    from training.distill_embedder import distill_static

    base = base_embedder(s)
    out = {}
    for label in args.models.split(","):
        if label == "e5":
            out[label] = load_embedder(s, ref=base)
        elif label == "static":
            # e5's own dimensionality by default, so that the index figures are an e5
            # index's; the same distillation as `werkmatch distill-embedder --dims N`
            static_dir = root / f"static-pca{args.dims}"
            if not (static_dir / "modules.json").exists():
                log.info("distilling the static model from %s (once)", base.model_id)
                distill_static(base.path, static_dir, pca_dims=args.dims)
            out[label] = load_embedder(s, ref=EmbedderRef("static", static_dir))
        else:
            raise SystemExit(f"--models: unknown model {label!r} (e5, static)")
    return out


def _is_checkout(path: Path) -> bool:
    """A werkmatch checkout whose server starts with `python -m api.cli serve` (a package
    since the redesign, a module before it, as at 2c3c529)."""
    return (path / "api" / "cli" / "__main__.py").exists() or (path / "api" / "cli.py").exists()


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import BenchSetup, run
    from matching.embedders import base_embedder
    from models.registry import load_champion

    s = get_settings()
    root = s.reports_dir / "bench"
    compare = Path(args.compare).resolve() if args.compare else None
    if compare is not None and not _is_checkout(compare):
        raise SystemExit(f"--compare: {compare} is not a werkmatch checkout")
    setup = BenchSetup(
        models=_models(args, s, root),
        model_dir=base_embedder(s).path,
        ranker=load_champion(s.tracking_uri, s.home),  # measured with the served ranker
        tracking_uri=s.tracking_uri,
        requests=args.requests,
        compare=compare,
        compare_tracking_uri=args.compare_mlflow,
        workers=args.workers,
        progress=not args.json,
    )
    results = run([int(x) for x in args.sizes.split(",")], root, setup)
    if args.json:
        for r in results:
            print(json.dumps(r))
    else:
        print((root / "bench.md").read_text())
    return 0


def cmd_load_bench(args: argparse.Namespace) -> int:
    """Many clients against `werkmatch serve` on this data directory, on loopback."""
    from eval.load import markdown, run_load

    s = get_settings()
    summary = run_load(s, clients=args.clients, seconds=args.seconds).summary()
    print(json.dumps(summary) if args.json else markdown(summary, s.home))
    return 0 if summary["errors"] == 0 else 1


def cmd_page_bench(args: argparse.Namespace) -> int:
    """The shortlist page's time, first and second request of each vacancy."""
    from api.web.timing import time_pages

    print(json.dumps(time_pages(get_settings(), args.vacancies), indent=2))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("bench", help="ingest, embedding, index, recall and latency by size")
    s.add_argument("--sizes", default="10000,100000")
    s.add_argument("--requests", type=int, default=200, help="queries per sample and level")
    s.add_argument("--models", default="e5,static", help="serving models, the first headline")
    s.add_argument("--compare", metavar="CHECKOUT", help="also serve this checkout's code")
    s.add_argument(
        "--compare-mlflow",
        metavar="URI",
        help="the MLflow store whose champion ranker the compared checkout serves",
    )
    s.add_argument("--dims", type=int, default=384, help="of the static model (384: no PCA)")
    s.add_argument(
        "--workers",
        type=processes,
        default=1,
        help="server processes of this checkout over HTTP (a compared checkout serves one)",
    )
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bench)
    s = sub.add_parser("load-bench", help="N clients for S seconds against serve on loopback")
    s.add_argument("--clients", type=int, default=50)
    s.add_argument("--seconds", type=float, default=60.0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_load_bench)
    s = sub.add_parser("page-bench", help="the workspace's shortlist page, in process")
    s.add_argument("--vacancies", type=int, default=40)
    s.set_defaults(func=cmd_page_bench)
