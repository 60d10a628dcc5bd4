"""`werkmatch train-embedder`: fine-tune e5 on Dutch occupation language, tracked in MLflow.

Builds the pairs (`training.embedder_data`: ESCO and placements), fine-tunes the base e5
model with early stopping on validation occupations (`training.embedder_trainer`), then
evaluates the result against the current embedder (the champion, else the base model) on
the development benchmark and on validation and test occupations, logs it to MLflow,
registers it, and promotes it only when it beats the current one on the development
benchmark and on validation (NDCG@10 of the embedding signal). Test occupations are
reported, never decided on. Compare runs made with the same seed: the seed decides which
occupations are held out.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import polars as pl
from transformers import TrainerCallback

from matching.config import Settings
from matching.embedders import EmbedderRef, base_embedder, load_embedder, target_embedder
from matching.occupations import esco_labels, label_vectors
from matching.outcomes import OutcomeKind, pair_split
from matching.records import Kind
from matching.store import Store
from matching.timing import started
from models.registry import (
    EMBEDDER_EXPERIMENT,
    EMBEDDER_NAME,
    configure,
    promote,
    register_embedder,
)
from training.embedder_data import EmbedderData, build_pairs
from training.embedder_eval import beats, evaluate_embedder
from training.embedder_trainer import FineTuneConfig, MlflowCurves, fine_tune

log = logging.getLogger("werkmatch")

__all__ = ["FineTuneConfig", "train_embedder"]


def placed_pairs(store: Store) -> pl.DataFrame:
    """(title, desired_occupation, vacancy_uri, jobseeker_uri) of every placement outside
    the test split (`werkmatch eval` must meet pairs no model was trained on)."""
    rows = []
    for o in store.ledger.outcome_rows():
        if o["outcome"] != OutcomeKind.PLACED.value:
            continue
        if pair_split(o["vacancy_id"], o["jobseeker_id"]) == "test":
            continue
        v = store.get(Kind.VACANCIES, o["vacancy_id"])
        j = store.get(Kind.JOBSEEKERS, o["jobseeker_id"])
        if v is not None and j is not None:
            rows.append((v.title, j.desired_occupation, v.esco_uri, j.desired_esco_uri))
    schema = {k: pl.Utf8 for k in ("title", "desired_occupation", "vacancy_uri", "jobseeker_uri")}
    return pl.DataFrame(rows, schema=schema, orient="row")


def training_data(settings: Settings, config: FineTuneConfig, base: EmbedderRef) -> EmbedderData:
    """The pairs of a run: the taxonomy, plus placements in the data directory's store."""
    embedder = load_embedder(settings, batch_size=128, ref=base)
    _, owner = esco_labels()
    outcomes = placed_pairs(Store(settings.db_url)) if config.outcomes else None
    return build_pairs(
        label_vectors(embedder, settings.cache_dir),
        owner,
        seed=config.seed,
        held_out_share=config.held_out_share,
        max_pairs=config.max_pairs,
        outcomes=outcomes,
    )


def train_embedder(
    settings: Settings,
    config: FineTuneConfig | None = None,
    progress: bool = True,
    promote_if_better: bool = True,
    fused: bool = True,
    fresh: bool = False,
    callbacks: Sequence[TrainerCallback] = (),
) -> dict[str, object]:
    """Fine-tune, evaluate against the current embedder, log, register and maybe promote.

    A finished run with the same settings is not repeated (its summary is returned); an
    interrupted one resumes from its last checkpoint within the same MLflow run.
    """
    config = config or FineTuneConfig()
    took = started()
    base, current = base_embedder(settings), target_embedder(settings)
    data = training_data(settings, config, base)
    key = config.key(base.model_id, data.digest())
    run_dir = settings.home / "embedder-runs" / key
    if fresh and run_dir.exists():
        shutil.rmtree(run_dir)
    if (run_dir / "summary.json").exists():
        return json.loads((run_dir / "summary.json").read_text())
    run_dir.mkdir(parents=True, exist_ok=True)
    id_file = run_dir / "mlflow_run_id"
    mlflow = configure(settings.tracking_uri, settings.home, EMBEDDER_EXPERIMENT)
    resumed_run = id_file.read_text().strip() if id_file.exists() else None
    with mlflow.start_run(run_id=resumed_run, run_name=f"finetune-{key}") as run:
        id_file.write_text(run.info.run_id)
        if resumed_run is None:
            mlflow.log_params(
                {
                    **{k: v for k, v in asdict(config).items() if v is not None},
                    "base_model": base.model_id,
                    "data_digest": data.digest(),
                    "held_out_occupations": len(data.held_out),
                    **{f"pairs_{k}": v for k, v in data.sizes().items()},
                }
            )
        trained = fine_tune(
            base, data, config, run_dir, progress, [MlflowCurves(mlflow), *callbacks]
        )
        embedders = {
            "current": load_embedder(settings, batch_size=128, ref=current),
            "candidate": load_embedder(
                settings, batch_size=128, ref=EmbedderRef("candidate", run_dir / "model")
            ),
        }
        metrics = {
            name: evaluate_embedder(
                e, data, config.held_out_queries, fused, settings.cache_dir, config.held_out_corpus
            )
            for name, e in embedders.items()
        }
        for name, per_set in metrics.items():
            for subset, m in per_set.items():
                mlflow.log_metrics(
                    {f"{name}_{subset}_{k.replace('@', '_at_')}": v for k, v in m.row().items()}
                )
        better = beats(metrics["candidate"], metrics["current"])
        _log_report(mlflow, run_dir, metrics, current)
        mlflow.log_artifacts(str(run_dir / "model"), "embedder")
        version = register_embedder(
            settings.tracking_uri, settings.home, run.info.run_id, "embedder"
        )
        mlflow.set_tags({"registered_version": version, "compared_with": current.version})
    promoted = bool(promote_if_better and better)
    if promoted:
        promote(settings.tracking_uri, settings.home, version, EMBEDDER_NAME)
    summary = {
        "version": version,
        "run_id": run.info.run_id,
        "promoted": promoted,
        "beats_current": better,
        "current": current.version,
        **trained,
        "pairs": data.sizes(),
        "held_out_occupations": len(data.held_out),
        "metrics": {n: {s: m.row() for s, m in ps.items()} for n, ps in metrics.items()},
        "seconds": round(took.seconds, 1),
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    for done in ("checkpoints", "model"):  # both are in MLflow now
        shutil.rmtree(run_dir / done, ignore_errors=True)
    return summary


def _log_report(mlflow, run_dir: Path, metrics: dict, current: EmbedderRef) -> None:
    """A comparison plot and table of the candidate against the current embedder."""
    from eval.embedders import comparison_plot, comparison_table

    plot = comparison_plot(metrics, run_dir / "comparison.png", f"huidig ({current.version})")
    mlflow.log_artifact(str(plot))
    table = run_dir / "comparison.md"
    table.write_text(comparison_table(metrics, f"current ({current.version})"))
    mlflow.log_artifact(str(table))
