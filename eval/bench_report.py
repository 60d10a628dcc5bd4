"""The benchmark report: bench.json, a Markdown table and plots of latency and memory by size."""

from __future__ import annotations

import json
from pathlib import Path

from eval.index_choice import markdown as choice_table
from eval.plots import figure


def write_report(results: list[dict], root: Path) -> Path:
    """Write bench.json, bench.png and bench.md into `root`; returns the Markdown path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "bench.json").write_text(json.dumps(results, indent=2))
    plot(results, root / "bench.png")
    (root / "bench.md").write_text(markdown(results))
    return root / "bench.md"


NAN = float("nan")


def plot(results: list[dict], path: Path) -> Path:
    sizes = [r["size"] for r in results]
    with figure(path, 1, 3, figsize=(14, 3.8)) as (_, (a, b, c)):
        for key, label, style in (
            ("shortlist_p50_ms", "in-process p50", "-o"),
            ("shortlist_p99_ms", "in-process p99", "-o"),
            ("http_p50_ms", "HTTP p50", "--s"),
            ("http_p99_ms", "HTTP p99", "--s"),
            ("exact_p50_ms", "exact brute force p50", ":^"),
        ):
            a.plot(sizes, [r.get(key, NAN) for r in results], style, label=label)
        a.axhline(50, color="grey", lw=0.8, ls="--")
        a.set(xscale="log", xlabel="jobseekers", ylabel="ms", title="shortlist latency (top 20)")
        a.legend(fontsize=7)
        b.plot(sizes, [r["index_bytes_per_profile"] for r in results], "-o", label="index")
        b.plot(
            sizes,
            [r.get("server_rss_mb", NAN) * 2**20 / r["size"] for r in results],
            "--s",
            label="whole server process",
        )
        b.axhline(1024, color="grey", lw=0.8, ls="--")
        b.set(xscale="log", yscale="log", xlabel="jobseekers", ylabel="bytes per profile")
        b.set_title("memory")
        b.legend(fontsize=7)
        c.plot(sizes, [r["recall_at_100"] for r in results], "-o", label="plain")
        c.plot(sizes, [r["recall_at_100_filtered"] for r in results], "--s", label="among eligible")
        c.axhline(0.95, color="grey", lw=0.8, ls="--")
        c.set(xscale="log", xlabel="jobseekers", ylim=(0.8, 1.005), title="recall@100 vs exact")
        c.legend(fontsize=7)
    return path


def markdown(results: list[dict]) -> str:
    rows = [
        ("index", lambda r: f"{r['index_type']} (nprobe {r['index_nprobe']:.0f})"),
        ("index bytes / profile", lambda r: f"{r['index_bytes_per_profile']:.0f}"),
        ("index build (s)", lambda r: f"{r['index_build_s']:.1f}"),
        ("recall@100 vs exact", lambda r: f"{r['recall_at_100']:.3f}"),
        ("recall@100 among eligible", lambda r: f"{r['recall_at_100_filtered']:.3f}"),
        ("eligible per vacancy (median)", lambda r: f"{r['eligible_median']:,.0f}"),
        ("shortlist p50 / p99 ms, in-process", _pair("shortlist_p50_ms", "shortlist_p99_ms")),
        ("same, exact brute force", _pair("exact_p50_ms", "exact_p99_ms")),
        ("shortlist p50 / p99 ms, HTTP", _pair("http_p50_ms", "http_p99_ms")),
        ("HTTP req/s (4 clients)", _one("http_throughput_rps", "{:.1f}")),
        ("server start-up until /health (s)", _one("server_start_s", "{:.0f}")),
        ("server memory (MB)", _one("server_rss_mb", "{:,.0f}")),
        ("ingest (records/s)", lambda r: f"{r['ingest_records_per_s']:,.0f}"),
        ("embedding, static (texts/s)", lambda r: f"{r['embed_texts_per_s']:,.0f}"),
        ("embedding, e5 (texts/s)", lambda r: f"{r['embed_e5_texts_per_s']:,.1f}"),
    ]
    head = "| | " + " | ".join(f"{r['size']:,}" for r in results) + " |"
    lines = [
        "# werkmatch benchmark",
        "",
        "A shortlist is: eligibility over all jobseekers, vector search among the eligible "
        "(500), features, ranker, explanations of the top 20. HTTP adds authentication, the "
        "audit record and JSON, from a separate `werkmatch serve` process. Vectors: every "
        "text embedded with the static model distilled from e5 "
        f"(`{results[0]['embedder']}`, {results[0]['dim']} dimensions).",
        "",
        head,
        "|---" * (len(results) + 1) + "|",
    ]
    for name, cell in rows:
        lines.append(f"| {name} | " + " | ".join(cell(r) for r in results) + " |")
    lines += ["", "![latency, memory and recall by size](bench.png)", ""]
    for r in results:
        if r.get("index_choice"):
            lines += ["## Index choice", "", choice_table(r["index_choice"], r["size"], r["dim"])]
    return "\n".join(lines)


def _pair(a: str, b: str):
    return lambda r: f"{r[a]:.1f} / {r[b]:.1f}" if a in r else "not measured"


def _one(key: str, form: str):
    return lambda r: form.format(r[key]) if key in r else "not measured"
