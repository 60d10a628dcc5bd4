"""Look-up commands: shortlist, labour-market, occupation."""

from __future__ import annotations

import argparse

from api.cli.common import named_or_served_embedder, open_matcher
from matching.config import get_settings

MARKET_COLUMNS = [
    "group",
    "group_label",
    "region",
    "region_name",
    "vacancies",
    "short_unemployed",
    "jobseekers",
    "tension",
    "class",
]


def format_shortlist(result) -> str:
    """A readable table of a shortlist."""
    removed = ", ".join(f"{k} {v}" for k, v in result.filtered_out.items() if v)
    head = (
        f"Shortlist for {result.query_id}: {len(result.items)} shown, "
        f"{result.retrieved} retrieved, {result.passed_filters} passed the filters "
        f"(removed by: {removed})"
    )
    lines = [head, f"{'#':>3}  {'jobseeker':<12} {'score':>6} {'km':>5}  {'region':<5} occupation"]
    for m in result.items:
        occ = m.occupation.get("label") or "-"
        lines.append(
            f"{m.rank:>3}  {m.id:<12} {m.score:>6.3f} {m.distance_km:>5.0f}  "
            f"{m.region:<5} {m.title[:38]:<38} [{occ[:38]}]"
        )
    return "\n".join(lines)


def cmd_shortlist(args: argparse.Namespace) -> int:
    """The API's shortlist: the served (champion) ranker, and an audit record of who saw it."""
    import getpass

    matcher = open_matcher()
    matcher.reload_ranker()
    result = matcher.shortlist(args.vacancy_id, k=args.k)
    matcher.store.ledger.write_audit(
        f"cli:{getpass.getuser()}",
        "cli",
        "werkmatch shortlist",
        [m.id for m in result.items],
        args.purpose or f"shortlist {args.vacancy_id}",
    )
    if args.json:
        from api.schemas import ShortlistPublic

        print(ShortlistPublic.of(result).model_dump_json(indent=2))
        return 0
    print(format_shortlist(result))
    return 0


def cmd_labour_market(args: argparse.Namespace) -> int:
    import polars as pl

    from eval.plots import tension_heatmap
    from matching.labour_market import compute_market, market_table

    matcher = open_matcher()
    market = compute_market(matcher.store)
    table = market_table(market, args.region, None)
    with pl.Config(tbl_rows=args.rows, tbl_width_chars=160, fmt_str_lengths=40):
        print(table.select(MARKET_COLUMNS).sort("tension", descending=True))
    path = tension_heatmap(market, matcher.settings.reports_dir / "labour_market.png")
    print(f"heatmap: {path}")
    return 0


def cmd_occupation(args: argparse.Namespace) -> int:
    from matching.occupations import OccupationIndex, safe_normalise

    index = OccupationIndex(named_or_served_embedder(), get_settings().cache_dir)
    for title, m in zip(args.titles, safe_normalise(index, args.titles), strict=True):
        if m is None:
            print(f"{title}\tno match")
        else:
            flag = "" if m.trusted else "\tlow confidence"
            print(f"{title}\t{m.label}\tISCO {m.isco}\t{m.confidence:.2f}\t{m.uri}{flag}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("shortlist", help="jobseekers for a vacancy")
    s.add_argument("vacancy_id")
    s.add_argument("--k", type=int, default=20)
    s.add_argument("--json", action="store_true")
    s.add_argument("--purpose", help="why you look (kept in the audit log)")
    s.set_defaults(func=cmd_shortlist)
    s = sub.add_parser("labour-market", help="tension per occupation group and region")
    s.add_argument("--region", help="e.g. AM22")
    s.add_argument("--rows", type=int, default=40)
    s.set_defaults(func=cmd_labour_market)
    s = sub.add_parser("occupation", help="map job titles to ESCO occupations")
    s.add_argument("titles", nargs="+")
    s.set_defaults(func=cmd_occupation)
