"""Evaluation report: Markdown with PNG plots in the data directory, also logged to MLflow."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np

from eval.offline import METHODS, Evaluation
from eval.plots import figure

LABELS = {
    "cosine": "cosine only",
    "cosine_filters": "cosine + hard filters",
    "ranker": "learned ranker",
}


def _plots(ev: Evaluation, folder: Path) -> list[Path]:
    metrics = list(ev.metrics)
    quality = folder / "quality.png"
    with figure(quality, figsize=(7, 3.5)) as (_, ax):
        for i, method in enumerate(METHODS):
            ax.bar(
                np.arange(len(metrics)) + i * 0.27,
                [ev.metrics[m][method] for m in metrics],
                width=0.27,
                label=LABELS[method],
            )
        ax.set_xticks(np.arange(len(metrics)) + 0.27, metrics)
        ax.set_ylim(0, 1)
        ax.set_title(f"Held-out vacatures (n={ev.vacancies})")
        ax.legend(fontsize=8)

    e = ev.exposure
    fairness = folder / "exposure.png"
    with figure(fairness, figsize=(6, 3.2)) as (_, ax):
        groups = [("45+", "age_45_plus"), (">12 mnd werkloos", "unemployed_12m_plus")]
        x = np.arange(len(groups))
        ax.bar(x - 0.2, [e[f"share_suitable_{k}"] for _, k in groups], 0.4, label="geschikt")
        ax.bar(x + 0.2, [e[f"share_top10_{k}"] for _, k in groups], 0.4, label="top 10 ranker")
        ax.set_xticks(x, [g for g, _ in groups])
        ax.set_ylabel("aandeel")
        ax.set_title("Blootstelling: aandeel in de top 10 versus onder geschikte kandidaten")
        ax.legend(fontsize=8)
    return [quality, fairness]


def _fmt(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.3f}"


def write_report(ev: Evaluation, reports_dir: Path) -> Path:
    """Write report.md, plots and evaluation.json into a new dated folder; returns it."""
    folder = reports_dir / f"eval-{dt.datetime.now():%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    _plots(ev, folder)
    base = ev.metrics["ndcg@10"]["cosine"]
    lines = [
        "# werkmatch evaluation",
        "",
        f"- held-out vacancies: {ev.vacancies}",
        f"- relevance: {ev.relevance}",
        f"- ranker: {ev.ranker}",
        "",
        "| method | NDCG@10 | Recall@50 | MRR | NDCG@10 vs cosine |",
        "|---|---|---|---|---|",
    ]
    for m in METHODS:
        ratio = ev.metrics["ndcg@10"][m] / base if base else float("nan")
        lines.append(
            f"| {LABELS[m]} | {_fmt(ev.metrics['ndcg@10'][m])} | "
            f"{_fmt(ev.metrics['recall@50'][m])} | {_fmt(ev.metrics['mrr'][m])} | "
            f"{_fmt(ratio)}x |"
        )
    e = ev.exposure
    lines += [
        "",
        "![quality](quality.png)",
        "",
        "## Fairness: exposure in the ranker's top 10",
        "",
        "Share of a group in the top 10 divided by its share among the suitable retrieved",
        "candidates; 1.0 is proportional, below 1.0 the group is under-exposed.",
        "",
        "| group | share suitable | share top 10 | exposure ratio |",
        "|---|---|---|---|",
        f"| age 45+ | {_fmt(e['share_suitable_age_45_plus'])} | "
        f"{_fmt(e['share_top10_age_45_plus'])} | {_fmt(e['age_45_plus'])} |",
        f"| unemployed > 12 months | {_fmt(e['share_suitable_unemployed_12m_plus'])} | "
        f"{_fmt(e['share_top10_unemployed_12m_plus'])} | {_fmt(e['unemployed_12m_plus'])} |",
        "",
        "![exposure](exposure.png)",
        "",
    ]
    (folder / "report.md").write_text("\n".join(lines))
    (folder / "evaluation.json").write_text(json.dumps(ev.as_json(), indent=2))
    return folder


def log_report(folder: Path, ev: Evaluation, tracking_uri: str, home: Path) -> str:
    """Log a written report and its figures as an MLflow run; returns the run id."""
    from models.registry import configure

    mlflow = configure(tracking_uri, home)
    with mlflow.start_run(run_name="evaluation") as run:
        mlflow.set_tag("werkmatch.kind", "evaluation")
        mlflow.log_param("ranker", ev.ranker)
        mlflow.log_param("vacancies", ev.vacancies)
        for metric, per in ev.metrics.items():
            for method, value in per.items():
                mlflow.log_metric(f"{metric.replace('@', '')}_{method}", value)
        mlflow.log_metrics({f"exposure_{k}": v for k, v in ev.exposure.items() if math.isfinite(v)})
        mlflow.log_artifacts(str(folder))
        return run.info.run_id
