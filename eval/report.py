"""Evaluation report: Markdown with PNG plots in the data directory, also logged to MLflow.

Everything is drawn from `Evaluation.as_json()`, the same figures `werkmatch eval --json`
prints: quality with 95% intervals per method and direction, the ranker's paired ratios,
transfer to a perturbed world, and exposure with and without fair re-ranking.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np

from eval.offline import METHODS, Evaluation
from eval.plots import figure

LABELS = {
    "cosine": "cosine (dichtstbijzijnde, geen filters)",
    "cosine_filters": "cosine + harde filters",
    "hand_weighted": "handgewogen (vaste gewichten)",
    "ranker": "geleerde ranker",
    "ranker_fair": "ranker + eerlijke herordening",
    "oracle": "orakel (verborgen waarheid)",
}
GROUPS = (("45+", "age_45_plus"), ("> 12 mnd werkloos", "unemployed_12m_plus"))


def _fmt(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3f}"


def _quality_plot(report: dict, path: Path) -> Path:
    """NDCG@10 per method with 95% intervals, matchmaker's and werkcoach's direction."""
    parts = [
        ("vacature -> werkzoekenden", report),
        ("werkzoekende -> vacatures", report["reverse"]),
    ]
    if "transfer" in report:
        parts.append(("andere wereld (transfer)", report["transfer"]))
    with figure(path, 1, len(parts), figsize=(4.2 * len(parts), 3.8)) as (_, axes):
        for ax, (title, part) in zip(np.atleast_1d(axes), parts, strict=True):
            nd = part["ndcg@10"]
            names = [m for m in METHODS if m in nd]
            means = [nd[m]["mean"] for m in names]
            err = np.array(
                [
                    [nd[m]["mean"] - nd[m]["ci95"][0], nd[m]["ci95"][1] - nd[m]["mean"]]
                    for m in names
                ]
            ).T
            ax.bar(range(len(names)), means, yerr=err, capsize=3, color="#4c72b0")
            ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=7)
            ax.set_ylim(0, 1)
            ax.set_title(f"{title} (n={part['queries']})", fontsize=9)
            ax.set_ylabel("NDCG@10 (95%-interval)")
    return path


def _exposure_plot(report: dict, path: Path) -> Path:
    e = report["exposure"]
    methods = [m for m in ("cosine_filters", "hand_weighted", "ranker", "ranker_fair") if m in e]
    with figure(path, figsize=(7, 3.4)) as (_, ax):
        x = np.arange(len(GROUPS))
        width = 0.8 / (len(methods) + 1)
        ax.bar(
            x,
            [e["ranker"][f"share_suitable_{k}"] for _, k in GROUPS],
            width,
            label="geschikt",
            color="#999",
        )
        for i, m in enumerate(methods, start=1):
            ax.bar(x + i * width, [e[m][f"share_top10_{k}"] for _, k in GROUPS], width, label=m)
        ax.set_xticks(x + width * len(methods) / 2, [g for g, _ in GROUPS])
        ax.set_ylabel("aandeel")
        ax.set_title(
            "Aandeel in de top 10 tegenover aandeel onder geschikte kandidaten", fontsize=9
        )
        ax.legend(fontsize=7)
    return path


def _quality_table(part: dict) -> list[str]:
    lines = ["| method | NDCG@10 [95%] | Recall@50 | MRR |", "|---|---|---|---|"]
    for m in METHODS:
        if m not in part["ndcg@10"]:
            continue
        nd = part["ndcg@10"][m]
        lines.append(
            f"| {LABELS[m]} | {_fmt(nd['mean'])} [{_fmt(nd['ci95'][0])}, {_fmt(nd['ci95'][1])}] | "
            f"{_fmt(part['recall@50'][m]['mean'])} | {_fmt(part['mrr'][m]['mean'])} |"
        )
    for name, r in part["ratio_ndcg@10"].items():
        lines.append(
            f"\n- NDCG@10 {name}: {_fmt(r['mean'])}x [{_fmt(r['ci95'][0])}, {_fmt(r['ci95'][1])}]"
        )
    return lines


def _exposure_table(e: dict) -> list[str]:
    lines = ["| method | group | share suitable | share top 10 | ratio |", "|---|---|---|---|---|"]
    for m, row in e.items():
        for label, k in GROUPS:
            lines.append(
                f"| {m} | {label} | {_fmt(row[f'share_suitable_{k}'])} | "
                f"{_fmt(row[f'share_top10_{k}'])} | {_fmt(row[k])} |"
            )
    return lines


def write_report(ev: Evaluation, reports_dir: Path) -> Path:
    """Write report.md, plots and evaluation.json into a new dated folder; returns it."""
    folder = reports_dir / f"eval-{dt.datetime.now():%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    report = ev.as_json()
    _quality_plot(report, folder / "quality.png")
    _exposure_plot(report, folder / "exposure.png")
    lines = [
        "# werkmatch evaluation",
        "",
        f"- split: {ev.split} (vacancies and jobseekers of this split only), as of {ev.as_of}",
        f"- relevance: {ev.relevance}",
        f"- ranker: {ev.ranker}",
        "",
        f"## Matchmaker: jobseekers for a vacancy ({report['queries']} vacancies)",
        "",
        *_quality_table(report),
        "",
        "![quality](quality.png)",
        "",
        f"## Werkcoach: vacancies for a jobseeker ({report['reverse']['queries']} people)",
        "",
        *_quality_table(report["reverse"]),
    ]
    if "transfer" in report:
        lines += [
            "",
            "## Transfer: a world with perturbed parameters",
            "",
            *_quality_table(report["transfer"]),
        ]
    lines += [
        "",
        "## Fairness: exposure in the top 10",
        "",
        "Share of a group in the top 10 divided by its share among the suitable candidates (by",
        "the hidden truth); 1.0 is proportional, below 1.0 the group is under-exposed.",
        "",
        *_exposure_table(report["exposure"]),
        "",
        "![exposure](exposure.png)",
        "",
    ]
    (folder / "report.md").write_text("\n".join(lines))
    (folder / "evaluation.json").write_text(json.dumps(report, indent=2))
    return folder


def log_report(folder: Path, ev: Evaluation, tracking_uri: str, home: Path) -> str:
    """Log a written report and its headline figures as an MLflow run; returns the run id."""
    from models.registry import configure

    report = ev.as_json()
    mlflow = configure(tracking_uri, home)
    with mlflow.start_run(run_name="evaluation") as run:
        mlflow.set_tag("werkmatch.kind", "evaluation")
        mlflow.log_params({"ranker": ev.ranker, "split": ev.split, "as_of": str(ev.as_of)})
        for prefix, part in (("", report), ("reverse_", report["reverse"])):
            for metric in ("ndcg@10", "recall@50", "mrr"):
                for method, v in part[metric].items():
                    if math.isfinite(v["mean"]):
                        mlflow.log_metric(f"{prefix}{metric.replace('@', '')}_{method}", v["mean"])
        mlflow.log_artifacts(str(folder))
        return run.info.run_id
