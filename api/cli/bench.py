"""`werkmatch bench` (ingest, embedding, index, recall and latency by size) and
`werkmatch load-bench` (many clients against a served data directory)."""

from __future__ import annotations

import argparse
import json
import logging

from matching.config import get_settings

log = logging.getLogger("werkmatch")


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import BenchSetup, run
    from matching.embedders import EmbedderRef, base_embedder, load_embedder
    from models.registry import load_champion
    from training.distill_embedder import distill_static

    s = get_settings()
    root = s.reports_dir / "bench"
    base = base_embedder(s)
    # e5's own dimensionality by default, so that the index figures are an e5 index's; the
    # same distillation as `werkmatch distill-embedder --dims N`, whose quality is measured
    static_dir = root / f"static-pca{args.dims}"
    if not (static_dir / "modules.json").exists():
        log.info("distilling the static model from %s (once)", base.model_id)
        distill_static(base.path, static_dir, pca_dims=args.dims)
    setup = BenchSetup(
        static=load_embedder(s, ref=EmbedderRef("static", static_dir)),
        e5=load_embedder(s, ref=base),
        ranker=load_champion(s.tracking_uri, s.home),  # measured with the served ranker
        tracking_uri=s.tracking_uri,
        requests=args.requests,
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


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("bench", help="ingest, embedding, index, recall and latency by size")
    s.add_argument("--sizes", default="10000,100000,1000000")
    s.add_argument("--requests", type=int, default=200, help="random vacancies per size")
    s.add_argument("--dims", type=int, default=384, help="of the static model (384: no PCA)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bench)
    s = sub.add_parser("load-bench", help="N clients for S seconds against serve on loopback")
    s.add_argument("--clients", type=int, default=50)
    s.add_argument("--seconds", type=float, default=60.0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_load_bench)
