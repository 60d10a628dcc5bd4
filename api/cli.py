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

from matching.config import get_settings

log = logging.getLogger("werkmatch")


def _matcher():
    from matching.service import Matcher

    return Matcher(get_settings())


def cmd_prepare_model(_: argparse.Namespace) -> int:
    from models.embedder import ensure_model

    path = ensure_model(get_settings().embedding_model_dir)
    print(path)
    return 0


def demo_keys(matcher) -> dict[str, str]:
    """One API key per role for the demo, printed and kept in demo/api_keys.txt (0600)."""
    from api.auth import Role, create_key

    keys = {role.value: create_key(matcher.store, role, "demo") for role in Role}
    path = matcher.settings.home / "demo" / "api_keys.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text("".join(f"{r}\t{k}\n" for r, k in keys.items()))
    return keys


def cmd_demo(args: argparse.Namespace) -> int:
    from training.demo_load import load_demo

    matcher = _matcher()
    summary = load_demo(matcher, args.jobseekers, args.vacancies, args.seed)
    print(json.dumps(summary))
    for role, key in demo_keys(matcher).items():
        print(f"{role}\t{key}")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from api.auth import create_key, list_keys, revoke_key

    matcher = _matcher()
    if args.action == "create":
        if args.target not in _ROLES:
            print(f"error: ROLE must be one of {', '.join(_ROLES)}", file=sys.stderr)
            return 2
        print(create_key(matcher.store, args.target, args.label))  # only the key, on stdout
        return 0
    if args.action == "revoke":
        if not args.target or not revoke_key(matcher.store, args.target):
            print(f"error: no active key {args.target!r}", file=sys.stderr)
            return 2
        return 0
    for k in list_keys(matcher.store):
        print(
            f"{k['key_id']}\t{k['role']}\t{k['label'] or ''}\t"
            f"{'revoked' if k['revoked_at'] else 'active'}"
        )
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Model, demo world (when the store is empty) and indexes: everything `serve` needs."""
    from matching.store import Kind
    from training.demo_load import load_demo

    matcher = _matcher()
    if matcher.store.count(Kind.JOBSEEKERS) == 0 and matcher.store.count(Kind.VACANCIES) == 0:
        log.info("empty store: loading the demo world")
        print(json.dumps({"demo": load_demo(matcher, args.jobseekers, args.vacancies, args.seed)}))
        print("API keys of the demo (one per role, also in demo/api_keys.txt):")
        for role, key in demo_keys(matcher).items():
            print(f"{role}\t{key}")
    matcher.prepare()
    matcher.switcher.follow_target(progress=True)  # a promoted embedder serves from now on
    if matcher.ranker is None and matcher.store.outcome_rows():
        from training.train_ranker import train

        log.info("no ranker promoted yet: training one on the outcomes")
        try:
            summary = train(matcher)
        except ValueError as exc:
            log.warning("no ranker trained (%s); shortlists are ranked by cosine", exc)
        else:
            brief = {k: summary[k] for k in ("version", "kind")}
            print(json.dumps({"ranker": brief, "ndcg@10": summary["heldout"]["ndcg@10"]}))
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


def cmd_train(args: argparse.Namespace) -> int:
    from training.train_ranker import train

    summary = train(_matcher(), promote_if_better=not args.no_promote)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from models.registry import promote

    s = get_settings()
    promote(s.tracking_uri, s.home, str(args.version))
    print(f"version {args.version} is now champion (restart or reload the service)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.offline import evaluate
    from eval.report import log_report, write_report

    matcher = _matcher()
    matcher.reload_ranker()
    ev = evaluate(matcher, progress=not args.json, max_vacancies=args.max_vacancies)
    folder = write_report(ev, matcher.settings.reports_dir)
    log_report(folder, ev, matcher.settings.tracking_uri, matcher.settings.home)
    if args.json:
        out = {k: ev.metrics[k] for k in ("ndcg@10", "recall@50", "mrr")}
        out["exposure"] = {k: ev.exposure[k] for k in ("age_45_plus", "unemployed_12m_plus")}
        print(json.dumps(out))
    else:
        print((folder / "report.md").read_text())
        print(f"report: {folder / 'report.md'}")
    return 0


def cmd_labour_market(args: argparse.Namespace) -> int:
    from matching.labour_market import compute_market, heatmap

    matcher = _matcher()
    market = compute_market(matcher.store)
    table = market.table
    if args.region:
        table = table.filter(table["region"] == args.region)
    cols = [
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
    import polars as pl

    with pl.Config(tbl_rows=args.rows, tbl_width_chars=160, fmt_str_lengths=40):
        print(table.select(cols).sort("tension", descending=True))
    path = heatmap(market, matcher.settings.reports_dir / "labour_market.png")
    print(f"heatmap: {path}")
    return 0


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


def _embedder(version: str | None = None):
    """The served embedder, or a named one: `base` or a registered version."""
    from matching.embedders import load_embedder, named_embedder

    s = get_settings()
    return load_embedder(s, batch_size=128, ref=named_embedder(s, version) if version else None)


def cmd_rank_titles(args: argparse.Namespace) -> int:
    from eval.titles import read_titles, title_ranker, trec_lines
    from matching.titles import EmptyTitleError

    try:
        queries, corpus = read_titles(Path(args.queries)), read_titles(Path(args.corpus))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ranker = title_ranker(_embedder(), get_settings().cache_dir)
    ranker.fit([c for c, _ in corpus], [t for _, t in corpus])
    for qid, title in queries:
        try:
            ranked = ranker.rank([title], top=args.top)
        except EmptyTitleError as exc:
            print(f"warning: query {qid}: {exc}", file=sys.stderr)
            continue
        for line in trec_lines([qid], ranked):
            print(line)
    return 0


def cmd_eval_titles(args: argparse.Namespace) -> int:
    from eval.titles import evaluate_run, read_qrels, read_run

    try:
        m = evaluate_run(read_run(Path(args.run)), read_qrels(Path(args.qrels)))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"MRR\t{m.mrr:.4f}\nNDCG@10\t{m.ndcg10:.4f}\nRecall@10\t{m.recall10:.4f}\n"
        f"queries\t{m.queries}"
    )
    return 0


def cmd_title_benchmark(args: argparse.Namespace) -> int:
    from eval.titles import benchmark, markdown_table

    embedder = _embedder(args.embedder)
    table = markdown_table(benchmark(embedder, cache_dir=get_settings().cache_dir))
    text = "# Title ranking on the development benchmark (jobtitle-sim-nl)\n\n" + table + "\n"
    if args.write:
        Path(args.write).write_text(text)
    print(text)
    return 0


def cmd_occupation(args: argparse.Namespace) -> int:
    from matching.occupations import OccupationIndex, safe_normalise

    index = OccupationIndex(_embedder(), get_settings().cache_dir)
    for title, m in zip(args.titles, safe_normalise(index, args.titles), strict=True):
        if m is None:
            print(f"{title}\tno match")
        else:
            flag = "" if m.trusted else "\tlow confidence"
            print(f"{title}\t{m.label}\tISCO {m.isco}\t{m.confidence:.2f}\t{m.uri}{flag}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(get_settings()), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_health(_: argparse.Namespace) -> int:
    print(json.dumps(_matcher().health(), indent=2))
    return 0


_ROLES = ["matchmaker", "accountmanager", "werkcoach", "datascientist", "admin"]


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
    s = sub.add_parser("keys", help="API keys: create ROLE | list | revoke KEY_ID")
    s.add_argument("action", choices=["create", "list", "revoke"])
    s.add_argument("target", nargs="?", metavar="ROLE|KEY_ID")
    s.add_argument("--label")
    s.set_defaults(func=cmd_keys)
    s = sub.add_parser("bench", help="ingest, embedding, index, recall and latency by size")
    s.add_argument("--sizes", default="10000,100000,1000000")
    s.add_argument("--requests", type=int, default=200, help="random vacancies per size")
    s.add_argument("--dims", type=int, default=384, help="of the static model (384: no PCA)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bench)
    s = sub.add_parser("rank-titles", help="rank a corpus of titles, TREC run on stdout")
    s.add_argument("--queries", required=True, help="id<TAB>title file")
    s.add_argument("--corpus", required=True, help="id<TAB>title file")
    s.add_argument("--top", type=int, default=100)
    s.set_defaults(func=cmd_rank_titles)
    s = sub.add_parser("eval-titles", help="MRR, NDCG@10, Recall@10 of a TREC run")
    s.add_argument("--run", required=True)
    s.add_argument("--qrels", required=True)
    s.set_defaults(func=cmd_eval_titles)
    s = sub.add_parser("title-benchmark", help="each signal and the fusion on the dev set")
    s.add_argument("--write", help="also write the Markdown table to this file")
    s.add_argument("--embedder", help="'base' or a registered version (default: the served one)")
    s.set_defaults(func=cmd_title_benchmark)
    s = sub.add_parser("occupation", help="map job titles to ESCO occupations")
    s.add_argument("titles", nargs="+")
    s.set_defaults(func=cmd_occupation)
    s = sub.add_parser("train", help="train rankers on outcomes, log to MLflow, promote")
    s.add_argument("--no-promote", action="store_true", help="register without promoting")
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("promote", help="make a registered ranker version the champion")
    s.add_argument("version")
    s.set_defaults(func=cmd_promote)
    s = sub.add_parser("eval", help="evaluate on held-out vacancies, write a report")
    s.add_argument("--json", action="store_true")
    s.add_argument("--max-vacancies", type=int, default=None)
    s.set_defaults(func=cmd_eval)
    from api.cli_embedder import register

    register(sub)
    s = sub.add_parser("labour-market", help="tension per occupation group and region")
    s.add_argument("--region", help="e.g. AM22")
    s.add_argument("--rows", type=int, default=40)
    s.set_defaults(func=cmd_labour_market)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in (
        "sentence_transformers",
        "transformers",
        "httpx",
        "faiss",
        "mlflow",
        "alembic",
        "urllib3",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from models.registry import NotRegisteredError

    try:
        return args.func(args)
    except NotRegisteredError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
