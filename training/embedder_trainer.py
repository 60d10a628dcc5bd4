"""The fine-tuning loop of `werkmatch train-embedder`: its settings, losses and trainer.

MultipleNegativesRankingLoss over every dataset of `training.embedder_data` (ISCO unit pairs
scaled down), e5's prompts per column, bfloat16 autocast where the CPU has it, frozen word
embeddings. The validation occupations are scored every `save_steps` (NDCG@10 of their labels
against every preferred label); training stops when that has not risen for `patience`
evaluations and the best checkpoint is what is saved. A run resumes from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from datasets import Dataset
from sentence_transformers import (
    SentenceTransformer,
    SentenceTransformerTrainer,
    SentenceTransformerTrainingArguments,
)
from sentence_transformers.base.sampler import BatchSamplers, MultiDatasetBatchSamplers
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from transformers import EarlyStoppingCallback, TrainerCallback
from transformers.trainer_utils import get_last_checkpoint

from eval.title_sets import TEST_SHARE, VALIDATION_SHARE
from matching.embedders import EmbedderRef
from matching.timing import started
from models.e5_convert import record_added_tokens
from models.embedder import resolve_precision, write_model_id
from training.embedder_data import EmbedderData
from training.embedder_eval import held_out_set

MODEL_NAME = "multilingual-e5-small-nl-beroepen"
PASSAGE_COLUMNS = {"definition": ("positive", "negative")}  # descriptions are passages
EARLY_STOPPING_METRIC = "eval_validation_cosine_ndcg@10"


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
    save_steps: int = 100  # also how often the validation occupations are scored
    held_out_queries: int = 1000
    held_out_corpus: int | None = None  # labels searched in held-out sets (all: None)
    patience: int = 3  # evaluations without a better validation score before stopping

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


class MlflowCurves(TrainerCallback):
    """Logs the training loss and learning rate (per step), the validation NDCG@10 and MRR@10
    (per evaluation) and the mean loss of the run."""

    def __init__(self, mlflow) -> None:
        self.mlflow = mlflow

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        values = {f"train_{k}": float(v) for k, v in logs.items() if k in ("loss", "learning_rate")}
        for k in ("ndcg@10", "mrr@10"):
            if f"eval_validation_cosine_{k}" in logs:
                values[f"validation_{k.replace('@', '_at_')}"] = logs[f"eval_validation_cosine_{k}"]
        if "train_loss" in logs:  # the trainer's summary at the end of training
            values["train_loss_mean"] = float(logs["train_loss"])
        if values:
            self.mlflow.log_metrics(values, state.global_step)


class EvaluateAtEnd(TrainerCallback):
    """Scores the last step too (it is checkpointed at the end), so the steps after the last
    multiple of `save_steps` can be the best and kept."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            control.should_evaluate = True
        return control


def validation_evaluator(
    data: EmbedderData, queries: int, corpus: int | None = None
) -> InformationRetrievalEvaluator:
    """NDCG@10 of the validation occupations' labels against every preferred label (titles
    are embedded as queries, as the title matcher embeds them)."""
    held = held_out_set(data, "validation", queries, corpus)
    return InformationRetrievalEvaluator(
        dict(held.queries),
        dict(held.corpus),
        held.qrels,
        name="validation",
        mrr_at_k=[10],
        ndcg_at_k=[10],
        accuracy_at_k=[1],
        precision_recall_at_k=[10],
        map_at_k=[10],
        batch_size=128,
        write_csv=False,
        query_prompt="query: ",
        corpus_prompt="query: ",
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
        eval_strategy="steps",
        eval_steps=config.save_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,  # the best checkpoint is kept beside the last
        load_best_model_at_end=True,
        metric_for_best_model=EARLY_STOPPING_METRIC,
        greater_is_better=True,
        logging_steps=10,
        logging_first_step=True,
        seed=config.seed,
        data_seed=config.seed,
        report_to="none",
        disable_tqdm=not progress,
        dataloader_num_workers=0,
    )
    datasets = {name: Dataset.from_polars(frame) for name, frame in data.pairs.items()}
    stop = EarlyStoppingCallback(early_stopping_patience=config.patience)
    return SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=datasets,
        loss=losses,
        evaluator=validation_evaluator(data, config.held_out_queries, config.held_out_corpus),
        callbacks=[EvaluateAtEnd(), stop, *callbacks],
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
    model.save(str(out))  # the best checkpoint's weights (load_best_model_at_end)
    record_added_tokens(out)  # every later load (servers, the evaluation) reads them there
    state = trainer.state
    model_id = write_model_id(
        out, MODEL_NAME, base=base.model_id, data=data.digest(), config=asdict(config)
    )
    return {
        "model_id": model_id,
        "steps": int(result.global_step),
        "resumed_from_step": _step_of(last) or 0,
        "train_loss": float(result.training_loss),
        "best_step": _step_of(state.best_model_checkpoint),
        "best_validation_ndcg@10": state.best_metric,
        "train_seconds": round(took.seconds, 1),
    }


def _step_of(checkpoint: str | None) -> int | None:
    return int(Path(checkpoint).name.split("-")[-1]) if checkpoint else None
