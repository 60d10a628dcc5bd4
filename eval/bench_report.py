"""The benchmark report: bench.json, Markdown tables per serving model and plots by size."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from eval.index_choice import markdown as choice_table
from eval.plots import figure

NAN = float("nan")
Cell = Callable[[dict], str]


def write_report(results: list[dict], root: Path) -> Path:
    """Write bench.json, bench.png and bench.md into `root`; returns the Markdown path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "bench.json").write_text(json.dumps(results, indent=2))
    plot(results, root / "bench.png")
    (root / "bench.md").write_text(markdown(results))
    return root / "bench.md"


def _models(results: list[dict]) -> list[str]:
    return list(results[0]["models"]) if results else []


def plot(results: list[dict], path: Path) -> Path:
    """Latency of the first (default) model, memory and recall of every model, by size."""
    sizes = [r["size"] for r in results]
    first = results[0].get("model", "") if results else ""
    with figure(path, 1, 3, figsize=(14, 3.8)) as (_, (a, b, c)):
        for key, label, style in (
            ("shortlist_p99_ms", "warm p99", "-o"),
            ("shortlist_p99_ms_cold", "cold p99", "-o"),
            ("encode_search_p99_ms_cold", "cold: encode + search p99", ":o"),
            ("http_p99_ms_1_clients", "HTTP cold p99, 1 client", "--s"),
            ("http_p99_ms_16_clients", "HTTP cold p99, 16 clients", "--s"),
            ("exact_p99_ms_cold", "cold p99, exact brute force", ":^"),
        ):
            a.plot(sizes, [r.get(key, NAN) for r in results], style, label=label)
        a.set(xscale="log", yscale="log", xlabel="jobseekers", ylabel="ms")
        a.set_title(f"shortlist latency (top 20), {first}")
        a.legend(fontsize=7)
        for m in _models(results):
            rows = [r["models"][m] for r in results]
            b.plot(sizes, [x["index_bytes_per_profile"] for x in rows], "-o", label=f"index, {m}")
            rss = [
                x.get("server_rss_mb", NAN) * 2**20 / s for x, s in zip(rows, sizes, strict=True)
            ]
            b.plot(sizes, rss, "--s", label=f"server (all its processes), {m}")
            c.plot(sizes, [x["recall_at_100"] for x in rows], "-o", label=f"plain, {m}")
            c.plot(
                sizes, [x["recall_at_100_filtered"] for x in rows], "--s", label=f"eligible, {m}"
            )
        b.set(xscale="log", yscale="log", xlabel="jobseekers", ylabel="bytes per profile")
        b.set_title("memory")
        b.legend(fontsize=7)
        c.axhline(0.95, color="grey", lw=0.8, ls="--")
        c.set(xscale="log", xlabel="jobseekers", ylim=(0.8, 1.005), title="recall@100 vs exact")
        c.legend(fontsize=7)
    return path


def _pair(a: str, b: str) -> Cell:
    return lambda r: f"{r[a]:.1f} / {r[b]:.1f}" if a in r else "not measured"


def _one(key: str, form: str) -> Cell:
    return lambda r: form.format(r[key]) if r.get(key) is not None else "not measured"


def _http_rows(levels: list[int]) -> list[tuple[str, Cell]]:
    rows = [("HTTP warm p50 / p99 ms, 1 client", _pair("http_p50_ms", "http_p99_ms"))]
    for c in levels:
        rows.append(
            (
                f"HTTP cold p50 / p99 ms, {c} clients",
                _pair(f"http_p50_ms_{c}_clients", f"http_p99_ms_{c}_clients"),
            )
        )
        rows.append((f"HTTP cold req/s, {c} clients", _one(f"http_rps_{c}_clients", "{:.1f}")))
    return rows


def _built(r: dict) -> str:
    b = r.get("build", {})
    when = b.get("built_at") or "unknown date"
    return f"{when}{' (reused)' if b.get('reused') else ''}"


ROWS: list[tuple[str, Cell]] = [
    ("index", lambda r: f"{r['index_type']} (nprobe {r['index_nprobe']:.0f})"),
    ("index bytes / profile", lambda r: f"{r['index_bytes_per_profile']:.0f}"),
    ("recall@100 vs exact", lambda r: f"{r['recall_at_100']:.3f}"),
    ("recall@100 among eligible", lambda r: f"{r['recall_at_100_filtered']:.3f}"),
    ("eligible per vacancy (median)", lambda r: f"{r['eligible_median']:,.0f}"),
    ("shortlist p50 / p99 ms, warm", _pair("shortlist_p50_ms", "shortlist_p99_ms")),
    ("shortlist p50 / p99 ms, cold", _pair("shortlist_p50_ms_cold", "shortlist_p99_ms_cold")),
    ("cold: encode p50 / p99 ms", _pair("encode_p50_ms_cold", "encode_p99_ms_cold")),
    (
        "cold: encode + search p50 / p99 ms",
        _pair("encode_search_p50_ms_cold", "encode_search_p99_ms_cold"),
    ),
    ("exact brute force p50 / p99 ms, warm", _pair("exact_p50_ms", "exact_p99_ms")),
    ("exact brute force p50 / p99 ms, cold", _pair("exact_p50_ms_cold", "exact_p99_ms_cold")),
    ("HTTP POST vacancy p50 / p99 ms", _pair("http_post_p50_ms", "http_post_p99_ms")),
]
BUILD_ROWS: list[tuple[str, Cell]] = [
    ("server processes (`serve --workers`)", _one("server_workers", "{:.0f}")),
    ("server start-up until /health (s)", _one("server_start_s", "{:.0f}")),
    ("server memory, all its processes (MB)", _one("server_rss_mb", "{:,.0f}")),
    ("embedding the world (texts/s)", lambda r: _one("embed_texts_per_s", "{:,.1f}")(r["build"])),
    ("index build (s)", lambda r: _one("index_build_s", "{:.1f}")(r["build"])),
    ("embedded and indexed on", _built),
]


def _table(results: list[dict], model: str, levels: list[int]) -> list[str]:
    rows = [r["models"][model] for r in results]
    first = rows[0]
    lines = [
        f"## {model}: `{first['embedder']}` ({first['dim']} dimensions), serving",
        "",
        "| | " + " | ".join(f"{r['size']:,}" for r in results) + " |",
        "|---" * (len(results) + 1) + "|",
    ]
    for name, cell in ROWS + _http_rows(levels) + BUILD_ROWS:
        lines.append(f"| {name} | " + " | ".join(cell(x) for x in rows) + " |")
    return [*lines, ""]


def _compare(results: list[dict], model: str) -> list[str]:
    found = [
        (r["size"], r["models"][model]["compare"])
        for r in results
        if "compare" in r["models"][model]
    ]
    if not found:
        return []
    c = found[0][1]
    lines = [
        f"### {model}: other checkout `{c['checkout']}` ({c['commit']}, one server process) / "
        f"this ({c['this_commit']}), ratios (< 1: the other is lower)",
        "",
        "| figure | " + " | ".join(f"{s:,}" for s, _ in found) + " |",
        "|---" * (len(found) + 1) + "|",
    ]
    for key in c["ratio"]:
        cells = [f"{x['ratio'][key]:.2f}" if key in x["ratio"] else "-" for _, x in found]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def markdown(results: list[dict]) -> str:
    levels = sorted({int(k.split("_")[2]) for r in results for k in r if k.startswith("http_rps_")})
    w = results[0]["world"]
    lines = [
        "# werkmatch benchmark",
        "",
        "A shortlist is: eligibility over all jobseekers, vector search among the eligible "
        "(500), features, ranker, explanations of the top 20. Warm: stored vacancies whose "
        "query vector is cached. Cold: new vacancies, asked once, so the timed request encodes "
        "the text with the serving model. HTTP adds authentication, the audit record and JSON, "
        "from a separate `werkmatch serve` process; its cold requests are vacancies POSTed just "
        "before, each asked once from a shared queue by N concurrent clients on the same "
        f"machine. {results[0]['requests']} queries per sample, drawn without replacement; "
        "warm-up not counted.",
        "",
        f"World generated and ingested on {w.get('built_at') or 'an unknown date'}"
        f"{' (reused)' if w.get('reused') else ''}.",
        "",
    ]
    for m in _models(results):
        lines += _table(results, m, levels) + _compare(results, m)
    lines += ["![latency, memory and recall by size](bench.png)", ""]
    for r in results:
        if r.get("index_choice"):
            lines += ["## Index choice", "", choice_table(r["index_choice"], r["size"], r["dim"])]
    return "\n".join(lines)
