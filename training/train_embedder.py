"""`werkmatch train-embedder`: fine-tune e5 on Dutch occupation language, tracked in MLflow.

Contrastive training with in-batch negatives (MultipleNegativesRankingLoss, ISCO unit pairs
down-weighted) on the ESCO pairs of `training.embedder_data`, starting from the base e5
model. Word embeddings stay frozen: the 96M-parameter vocabulary table keeps what it learned
on 100 languages and needs no optimiser state. Checkpoints every `save_steps`; the same
command with the same settings resumes from the last one. The result is evaluated against
the current embedder (the champion, else the base model) on the development benchmark and on
the held-out occupations, logged to MLflow, registered, and promoted only when it beats the
current one on both (NDCG@10 of the embedding signal). Compare runs made with the same seed:
the seed decides which occupations are held out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl
import torch
from datasets import Dataset
from sentence_transformers import (
    SentenceTransformer,
    SentenceTransformerTrainer,
    SentenceTransformerTrainingArguments,
)
from sentence_transformers.base.sampler import BatchSamplers, MultiDatasetBatchSamplers
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from transformers import TrainerCallback
from transformers.trainer_utils import get_last_checkpoint

from eval.title_sets import TEST_SHARE, VALIDATION_SHARE
from matching.config import Settings
from matching.embedders import EmbedderRef, base_embedder, load_embedder, target_embedder
from matching.occupations import esco_labels, label_vectors
from matching.outcomes import OutcomeKind, pair_split
from matching.records import Kind
from matching.store import Store
from matching.timing import started
from models.embedder import resolve_precision, write_model_id
from models.registry import (
    EMBEDDER_EXPERIMENT,
    EMBEDDER_NAME,
    configure,
    promote,
    register_embedder,
)
from training.embedder_data import EmbedderData, build_pairs
from training.embedder_eval import beats, evaluate_embedder

log = logging.getLogger("werkmatch")

MODEL_NAME = "multilingual-e5-small-nl-beroepen"
PASSAGE_COLUMNS = {"definition": ("positive", "negative")}  # descriptions are passages
DECIDING = "ndcg@10"


@dataclass(frozen=True)
class FineTuneConfig:
    """What a fine-tuning run does; equal configs (bar `save_steps`) resume each other."""

    epochs: float = 1.0
    batch_size: int = 64
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    seed: int = 0
    # the title sets' test and validation occupations (eval.title_sets): the title matcher
    # chooses its fusion on validation titles, so the embedder must not have seen them either
    held_out_share: float = TEST_SHARE + VALIDATION_SHARE
    max_pairs: int | None = None  # per dataset, for quick runs
    max_steps: int = -1
    unit_weight: float = 0.3  # ISCO unit group pairs are weaker positives
    outcomes: bool = True
    save_steps: int = 100
    held_out_queries: int = 1000

    def key(self, base_model_id: str, data_digest: str) -> str:
        fields = {k: v for k, v in asdict(self).items() if k != "save_steps"}
        text = json.dumps([fields, base_model_id, data_digest], sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=5).hexdigest()


class WeightedLoss(torch.nn.Module):
    """A loss scaled by a constant: weaker positives count less."""

    def __init__(self, loss: torch.nn.Module, weight: float) -> None:
        super().__init__()
        self.loss, self.weight, self.model = loss, weight, loss.model

    def forward(self, features, labels):
        return self.weight * self.loss(features, labels)


class MlflowLoss(TrainerCallback):
    """Logs the training loss and learning rate (per step) and the mean loss of the run."""

    def __init__(self, mlflow) -> None:
        self.mlflow = mlflow

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        values = {f"train_{k}": float(v) for k, v in logs.items() if k in ("loss", "learning_rate")}
        if "train_loss" in logs:  # the trainer's summary at the end of training
            values["train_loss_mean"] = float(logs["train_loss"])
        if values:
            self.mlflow.log_metrics(values, state.global_step)


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


def _trainer(
    model: SentenceTransformer,
    data: EmbedderData,
    config: FineTuneConfig,
    out: Path,
    progress: bool,
    callbacks: Sequence[TrainerCallback],
) -> SentenceTransformerTrainer:
    mnrl = MultipleNegativesRankingLoss(model)
    losses = {
        name: WeightedLoss(mnrl, config.unit_weight) if name == "same_isco_unit" else mnrl
        for name in data.pairs
    }
    prompts = {
        name: {
            col: "passage: " if col in PASSAGE_COLUMNS.get(name, ()) else "query: "
            for col in frame.columns
        }
        for name, frame in data.pairs.items()
    }
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,  # a fraction of all steps
        bf16=resolve_precision("auto") == "bf16",
        use_cpu=True,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        multi_dataset_batch_sampler=MultiDatasetBatchSamplers.PROPORTIONAL,
        prompts=prompts,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        logging_steps=10,
        logging_first_step=True,
        seed=config.seed,
        data_seed=config.seed,
        report_to="none",
        disable_tqdm=not progress,
        dataloader_num_workers=0,
    )
    datasets = {name: Dataset.from_polars(frame) for name, frame in data.pairs.items()}
    return SentenceTransformerTrainer(
        model=model, args=args, train_dataset=datasets, loss=losses, callbacks=list(callbacks)
    )


def fine_tune(
    base: EmbedderRef,
    data: EmbedderData,
    config: FineTuneConfig,
    run_dir: Path,
    progress: bool = True,
    callbacks: Sequence[TrainerCallback] = (),
) -> dict[str, object]:
    """Train into `run_dir/model` (resuming from `run_dir/checkpoints`); returns what it did."""
    checkpoints = run_dir / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    last = get_last_checkpoint(str(checkpoints))
    model = SentenceTransformer(str(base.path), device="cpu", local_files_only=True)
    model[0].auto_model.embeddings.word_embeddings.weight.requires_grad_(False)
    trainer = _trainer(model, data, config, checkpoints, progress, callbacks)
    took = started()
    result = trainer.train(resume_from_checkpoint=last)
    out = run_dir / "model"
    if out.exists():
        shutil.rmtree(out)
    model.save(str(out))
    model_id = write_model_id(
        out, MODEL_NAME, base=base.model_id, data=data.digest(), config=asdict(config)
    )
    return {
        "model_id": model_id,
        "steps": int(result.global_step),
        "resumed_from_step": int(Path(last).name.split("-")[-1]) if last else 0,
        "train_loss": float(result.training_loss),
        "train_seconds": round(took.seconds, 1),
    }


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
        trained = fine_tune(base, data, config, run_dir, progress, [MlflowLoss(mlflow), *callbacks])
        embedders = {
            "current": load_embedder(settings, batch_size=128, ref=current),
            "candidate": load_embedder(
                settings, batch_size=128, ref=EmbedderRef("candidate", run_dir / "model")
            ),
        }
        metrics = {
            name: evaluate_embedder(e, data, config.held_out_queries, fused, settings.cache_dir)
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
