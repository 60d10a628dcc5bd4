"""`werkmatch train-embedder` and `werkmatch embedder ...`: the domain-adapted embedder."""

from __future__ import annotations

import argparse
import json
import sys


def cmd_train_embedder(args: argparse.Namespace) -> int:
    from matching.config import get_settings
    from training.train_embedder import FineTuneConfig, train_embedder

    config = FineTuneConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        seed=args.seed,
        max_pairs=args.max_pairs,
        max_steps=args.max_steps,
        outcomes=not args.no_outcomes,
    )
    summary = train_embedder(
        get_settings(),
        config,
        promote_if_better=not args.no_promote,
        fused=not args.no_fused,
        fresh=args.fresh,
    )
    print(json.dumps(summary, indent=2))
    if summary["promoted"] and not args.no_switch:
        _switch()
    return 0


def cmd_distill_embedder(args: argparse.Namespace) -> int:
    from matching.config import get_settings
    from training.distill_embedder import distill_embedder

    summary = distill_embedder(
        get_settings(), pca_dims=args.dims, promote_it=args.promote, fused=not args.no_fused
    )
    print(json.dumps(summary, indent=2))
    if args.promote and not args.no_switch:
        _switch()
    return 0


def _switch() -> None:
    """Bring the data directory to the registry's target embedder, with progress."""
    from api.cli.common import open_matcher

    matcher = open_matcher()
    status = matcher.switcher.follow_target(progress=True)
    print(json.dumps({"serving": matcher.serving.model_id, "switch": status.as_dict()}))


def cmd_embedder(args: argparse.Namespace) -> int:
    from matching.config import get_settings
    from models.registry import EMBEDDER_NAME, previous_champion, promote

    s = get_settings()
    if args.action == "status":
        print(json.dumps(embedder_status(), indent=2))
        return 0
    if args.action == "report":
        from training.embedder_report import write_embedder_report

        versions = args.versions.split(",") if args.versions else None
        path = write_embedder_report(s, args.write, versions)
        print(path.read_text())
        return 0
    if args.action in ("promote", "rollback"):
        version = args.version if args.action == "promote" else None
        if args.action == "rollback":
            version = previous_champion(s.tracking_uri, s.home, EMBEDDER_NAME)
            if version is None:
                print("error: no previous embedder to roll back to", file=sys.stderr)
                return 2
        if not version:
            print("error: give a VERSION (or 'base')", file=sys.stderr)
            return 2
        was = promote(s.tracking_uri, s.home, version, EMBEDDER_NAME)
        print(f"embedder {version} is now champion (was {was})")
        if args.no_switch:
            print("switch with `werkmatch embedder switch` or POST /v1/embedder/reload")
            return 0
    _switch()
    return 0


def embedder_status() -> dict[str, object]:
    """Serving, target and previous embedder, and the vectors stored per model."""
    from matching.config import get_settings
    from matching.embedders import serving_embedder, target_embedder
    from matching.store import Store
    from models.registry import EMBEDDER_NAME, previous_champion

    s = get_settings()
    serving, target = serving_embedder(s), target_embedder(s)
    return {
        "serving": {"version": serving.version, "model_id": serving.model_id} if serving else None,
        "target": {"version": target.version, "model_id": target.model_id},
        "previous": previous_champion(s.tracking_uri, s.home, EMBEDDER_NAME),
        "stored_vectors": Store(s.db_url).vectors.models(),
    }


def register(sub: argparse._SubParsersAction) -> None:
    """Add the embedder commands to the `werkmatch` parser."""
    s = sub.add_parser("train-embedder", help="fine-tune the embedder on ESCO occupation pairs")
    s.add_argument("--epochs", type=float, default=1.0)
    s.add_argument("--batch-size", type=int, default=64)
    s.add_argument("--lr", type=float, default=5e-5)
    s.add_argument("--seed", type=int, default=0, help="also chooses the held-out occupations")
    s.add_argument("--max-pairs", type=int, default=None, help="per dataset, for quick runs")
    s.add_argument("--max-steps", type=int, default=-1)
    s.add_argument("--no-outcomes", action="store_true", help="no pairs from placements")
    s.add_argument("--no-promote", action="store_true", help="register without promoting")
    s.add_argument("--no-fused", action="store_true", help="skip the fused-matcher evaluation")
    s.add_argument("--no-switch", action="store_true", help="do not re-embed after promotion")
    s.add_argument("--fresh", action="store_true", help="discard checkpoints of an earlier run")
    s.set_defaults(func=cmd_train_embedder)
    s = sub.add_parser(
        "distill-embedder",
        help="static model distilled from the served embedder, for bulk embedding",
    )
    s.add_argument("--dims", type=int, default=256, help="PCA dimensions of the token vectors")
    s.add_argument("--promote", action="store_true", help="serve it (re-embeds everything)")
    s.add_argument("--no-fused", action="store_true", help="skip the fused-matcher evaluation")
    s.add_argument("--no-switch", action="store_true", help="with --promote: do not re-embed")
    s.set_defaults(func=cmd_distill_embedder)
    s = sub.add_parser(
        "embedder",
        help="status | promote VERSION|base | rollback | switch | report",
        description="promote and rollback re-embed the data directory unless --no-switch",
    )
    s.add_argument("action", choices=["status", "promote", "rollback", "switch", "report"])
    s.add_argument("version", nargs="?", help="registered version, or 'base' (promote)")
    s.add_argument("--no-switch", action="store_true")
    s.add_argument("--write", help="report: also write the Markdown to this file")
    s.add_argument("--versions", help="report: e.g. base,1,2 (default: base and the champion)")
    s.set_defaults(func=cmd_embedder)
