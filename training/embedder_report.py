"""`werkmatch embedder report`: embedders side by side (base e5, fine-tuned, static), one table.

For each embedder: the embedding signal and the fused title matcher on the development
benchmark, the embedding signal on the held-out occupations of the fine-tuning run, and the
ranking quality on the data directory's held-out vacancies (cosine, cosine + filters, the
served ranker as it is, and a ranker refitted on that embedder's similarities).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from eval.embedders import embedding_metrics, fused_dev_metrics
from eval.offline import evaluate
from eval.titles import TitleMetrics, read_benchmark
from matching.config import Settings
from matching.embedders import EmbedderRef, base_embedder, load_embedder, named_embedder
from models.registry import (
    BASE,
    EMBEDDER_EXPERIMENT,
    EMBEDDER_NAME,
    NotRegisteredError,
    ServedRanker,
    champion_version,
    configure,
    load_champion,
)

log = logging.getLogger("werkmatch")


@dataclass
class EmbedderFigures:
    label: str
    model_id: str
    titles: dict[str, TitleMetrics]
    ranking: dict[str, float]


def candidate_version(settings: Settings) -> str:
    """The champion embedder, else the newest registered version."""
    version = champion_version(settings.tracking_uri, settings.home, EMBEDDER_NAME)
    if version is not None:
        return version
    mlflow = configure(settings.tracking_uri, settings.home, EMBEDDER_EXPERIMENT)
    versions = mlflow.MlflowClient().search_model_versions(f"name='{EMBEDDER_NAME}'")
    if not versions:
        raise NotRegisteredError(
            "no fine-tuned embedder registered: run `werkmatch train-embedder`"
        )
    return str(max(int(v.version) for v in versions))


def _held_out(settings: Settings, run_id: str):
    """The held-out occupations of the fine-tuning run `run_id` (its seed and share)."""
    from training.embedder_data import EmbedderData, held_out_occupations, occupation_frame
    from training.embedder_eval import held_out_set

    params = _run_params(settings, run_id)
    seed, share = int(params["seed"]), float(params["held_out_share"])
    held = held_out_occupations(occupation_frame()["uri"].to_list(), share, seed)
    return held_out_set(EmbedderData({}, held, seed), "test", int(params["held_out_queries"]))


def _run_params(settings: Settings, run_id: str | None) -> dict[str, str]:
    if run_id is None:
        return {}
    mlflow = configure(settings.tracking_uri, settings.home, EMBEDDER_EXPERIMENT)
    return mlflow.MlflowClient().get_run(run_id).data.params


def _figures(settings: Settings, ref: EmbedderRef, label: str, held, ranker) -> EmbedderFigures:
    from matching.service import Matcher
    from training.train_ranker import fit_ranker

    embedder = load_embedder(settings, batch_size=128, ref=ref)
    queries, corpus, qrels = read_benchmark()
    titles = {
        "dev": embedding_metrics(embedder, queries, corpus, qrels),
        "dev_fused": fused_dev_metrics(embedder, settings.cache_dir),
        "held_out": embedding_metrics(embedder, held.queries, held.corpus, held.qrels),
    }
    view = Matcher(settings, embedder=load_embedder(settings, ref=ref))
    view.prepare()  # embeds what this embedder has no vectors for yet
    ranking = evaluate(view, ranker, progress=True).forward.means()
    refit = fit_ranker(view, progress=True)
    own = ServedRanker(refit.model, "refit", {}, "")
    ranking["ranker_refit"] = evaluate(view, own, progress=True).forward.means()["ranker"]
    return EmbedderFigures(label, ref.model_id, titles, ranking)


def _versions(settings: Settings, versions: list[str]) -> list[tuple[str, EmbedderRef, str]]:
    """(label, reference, kind) per version; kind is base, fine-tuned or static."""
    out = []
    for v in versions:
        if v == BASE:
            out.append(("base e5", base_embedder(settings), BASE))
            continue
        ref = named_embedder(settings, v)
        tuned = "held_out_share" in _run_params(settings, ref.run_id)
        kind = "fine-tuned" if tuned else "static"
        out.append((f"v{v} {kind}", ref, f"{kind}:{ref.run_id}"))
    return out


def write_embedder_report(
    settings: Settings, write: str | None = None, versions: list[str] | None = None
) -> Path:
    """Compute every figure for each embedder version (default: base and the champion or
    newest registered one); write Markdown and JSON into the report folder."""
    chosen = _versions(settings, versions or [BASE, candidate_version(settings)])
    tuned_runs = [k.split(":", 1)[1] for _, _, k in chosen if k.startswith("fine-tuned:")]
    if not tuned_runs:
        raise NotRegisteredError(
            "the report needs a fine-tuned version (for its held-out occupations)"
        )
    held = _held_out(settings, tuned_runs[-1])
    ranker = load_champion(settings.tracking_uri, settings.home)
    rows = [_figures(settings, ref, label, held, ranker) for label, ref, _ in chosen]
    folder = settings.reports_dir / "embedder"
    folder.mkdir(parents=True, exist_ok=True)
    text = markdown(rows, ranker)
    (folder / "report.md").write_text(text)
    (folder / "report.json").write_text(
        json.dumps(
            [
                {
                    "label": r.label,
                    "model_id": r.model_id,
                    "titles": {k: m.row() for k, m in r.titles.items()},
                    "ranking_ndcg@10": r.ranking,
                }
                for r in rows
            ],
            indent=2,
        )
    )
    if write:
        Path(write).write_text(text)
    return folder / "report.md"


def markdown(rows: list[EmbedderFigures], ranker: ServedRanker | None) -> str:
    """The report's tables."""
    lines = [
        "# Embedders side by side: base e5, fine-tuned, static",
        "",
        "## Job titles (MRR / NDCG@10 / Recall@10)",
        "",
        "| embedder | dev: embedding | dev: fused title matcher | held-out occupations |",
        "|---|---|---|---|",
    ]
    for r in rows:
        cells = [
            f"{m.mrr:.3f} / {m.ndcg10:.3f} / {m.recall10:.3f}"
            for m in (r.titles["dev"], r.titles["dev_fused"], r.titles["held_out"])
        ]
        lines.append(f"| {r.label} | " + " | ".join(cells) + " |")
    served = f"served ranker ({ranker.model.kind} v{ranker.version})" if ranker else "cosine"
    lines += [
        "",
        "## Ranking on held-out vacancies of the demo world (NDCG@10)",
        "",
        f"| embedder | cosine | cosine + filters | {served} | ranker refitted on it |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        g = r.ranking
        lines.append(
            f"| {r.label} | {g['cosine']:.3f} | {g['cosine_filters']:.3f} | {g['ranker']:.3f} "
            f"| {g['ranker_refit']:.3f} |"
        )
    lines += [
        "",
        "Development benchmark: jobtitle-sim-nl (105 queries, 2,538 titles). Held-out "
        "occupations: alternative labels of ESCO occupations the fine-tuning never saw, "
        "against all 3,007 preferred labels. Model ids: "
        + "; ".join(f"{r.label} = `{r.model_id}`" for r in rows)
        + ".",
        "",
    ]
    return "\n".join(lines)
