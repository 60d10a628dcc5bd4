"""Fine-tuning end to end (seconds): pairs -> checkpoints -> MLflow run and registry -> rule."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from transformers import TrainerCallback

from eval.titles import TitleMetrics
from matching.config import Settings
from matching.embedders import base_embedder
from models.embedder import MODEL_ID_FILE, model_id_of
from models.registry import (
    EMBEDDER_NAME,
    champion_version,
    configure,
    embedder_version,
)
from tests.conftest import TINY_FINE_TUNE
from training.embedder_eval import beats
from training.embedder_trainer import fine_tune
from training.train_embedder import FineTuneConfig, train_embedder, training_data


def test_tiny_run_is_registered_with_its_own_model_id(tuned_home, model_dir: Path, embedder):
    home, summary = tuned_home
    settings = Settings(home=home, model_dir=model_dir)
    assert summary["steps"] == 5 and summary["resumed_from_step"] == 0
    datasets = {"same_occupation", "variants", "definition", "same_isco_unit", "isco_group"}
    assert set(summary["pairs"]) == datasets | {"outcomes"}
    version = embedder_version(settings.tracking_uri, home, summary["version"])
    assert model_id_of(version.path) == summary["model_id"] != embedder.model_id
    stamp = json.loads((version.path / MODEL_ID_FILE).read_text())
    # its added tokens listed by id, as in the converted e5 (a load need not look for them)
    listed = json.loads((version.path / "tokenizer_config.json").read_text())
    added = json.loads((version.path / "tokenizer.json").read_text())["added_tokens"]
    assert {int(i): t["content"] for i, t in listed["added_tokens_decoder"].items()} == {
        t["id"]: t["content"] for t in added
    }
    assert stamp["base"] == embedder.model_id and stamp["config"]["max_steps"] == 5
    configure(settings.tracking_uri, home)
    run = mlflow.MlflowClient().get_run(summary["run_id"])
    assert run.data.params["base_model"] == embedder.model_id
    for who in ("current", "candidate"):
        for subset in ("dev", "validation", "held_out"):
            assert 0 < run.data.metrics[f"{who}_{subset}_ndcg_at_10"] <= 1
    assert {"train_loss", "train_loss_mean"} <= set(run.data.metrics)
    curve = mlflow.MlflowClient().get_metric_history(summary["run_id"], "validation_ndcg_at_10")
    assert sorted(p.step for p in curve) == [2, 4, 5]  # at every checkpoint and at the end
    best = max(curve, key=lambda p: (p.value, -p.step))  # the first of equal scores
    assert (summary["best_step"], summary["best_validation_ndcg@10"]) == (best.step, best.value)
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(summary["run_id"])}
    assert {"embedder", "comparison.png", "comparison.md"} <= artifacts
    m = summary["metrics"]
    rule = all(
        m["candidate"][s]["ndcg@10"] > m["current"][s]["ndcg@10"] for s in ("dev", "validation")
    )
    assert summary["beats_current"] == rule and summary["promoted"] == rule
    champion = champion_version(settings.tracking_uri, home, EMBEDDER_NAME)
    assert champion == (summary["version"] if rule else None)


def test_a_finished_run_is_not_repeated(tuned_home, model_dir: Path):
    home, summary = tuned_home
    run_dir = next((home / "embedder-runs").iterdir())
    assert not (run_dir / "checkpoints").exists()  # the model is in MLflow now
    again = train_embedder(
        Settings(home=home, model_dir=model_dir),
        FineTuneConfig(**TINY_FINE_TUNE),
        progress=False,
        fused=False,
    )
    assert again == summary


def test_promotion_needs_dev_and_validation_and_never_reads_test_occupations():
    def m(ndcg: float) -> TitleMetrics:
        return TitleMetrics(mrr=0.5, ndcg10=ndcg, recall10=0.5, queries=10)

    current = {"dev": m(0.50), "validation": m(0.60), "held_out": m(0.60)}
    assert beats({"dev": m(0.51), "validation": m(0.61), "held_out": m(0.10)}, current)
    assert not beats({"dev": m(0.51), "validation": m(0.60), "held_out": m(0.90)}, current)
    assert not beats({"dev": m(0.49), "validation": m(0.70), "held_out": m(0.90)}, current)
    assert beats({"dev": m(0.51), "validation": m(0.61)}, {"dev": m(0.5), "validation": m(0.6)})


def test_training_stops_when_validation_has_not_risen_for_patience_evaluations(
    tmp_path: Path, model_dir: Path
):
    """A learning rate of 0 leaves the model as it was: the validation score never rises after
    the first evaluation, so training stops at the second (patience 1), not at step 12."""
    settings = Settings(home=tmp_path / "home", model_dir=model_dir)
    config = FineTuneConfig(
        **{**TINY_FINE_TUNE, "max_steps": 12, "max_pairs": 24, "learning_rate": 0.0},
        patience=1,
        outcomes=False,
        seed=7,
    )
    base = base_embedder(settings)
    trained = fine_tune(base, training_data(settings, config, base), config, tmp_path, False)
    assert trained["steps"] == 4 and trained["best_step"] == 2


class Interrupted(Exception):
    pass


class CrashAfter(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise Interrupted(f"killed after step {self.step}")


def test_an_interrupted_run_resumes_from_its_last_checkpoint(tmp_path: Path, model_dir: Path):
    settings = Settings(home=tmp_path / "home", model_dir=model_dir)
    config = FineTuneConfig(**{**TINY_FINE_TUNE, "max_pairs": 24, "outcomes": False, "seed": 5})
    kwargs = dict(progress=False, fused=False, promote_if_better=False)
    with pytest.raises(Interrupted):
        train_embedder(settings, config, callbacks=[CrashAfter(3)], **kwargs)
    (run_dir,) = (settings.home / "embedder-runs").iterdir()
    assert (run_dir / "checkpoints" / "checkpoint-2").exists()
    first_run = (run_dir / "mlflow_run_id").read_text()
    summary = train_embedder(settings, config, **kwargs)
    assert summary["resumed_from_step"] == 2 and summary["steps"] == 5
    assert summary["run_id"] == first_run and not summary["promoted"]
