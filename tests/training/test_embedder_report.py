"""The embedder report: which versions it compares and the tables it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from eval.titles import TitleMetrics
from matching.config import Settings, get_settings
from matching.embedders import named_embedder
from models.registry import BASE, NotRegisteredError
from training.embedder_report import EmbedderFigures, _versions, candidate_version, markdown


def test_versions_are_named_by_kind_and_carry_their_run(tuned_home, model_dir: Path, embedder):
    home, summary = tuned_home
    settings = Settings(home=home, model_dir=model_dir)
    version = candidate_version(settings)  # champion, else the newest registered version
    assert version == summary["version"]
    (base_label, base, base_kind), (label, tuned, kind) = _versions(settings, [BASE, version])
    assert (base_label, base_kind, base.model_id) == ("base e5", BASE, embedder.model_id)
    assert label == f"v{version} fine-tuned" and kind == f"fine-tuned:{summary['run_id']}"
    assert tuned == named_embedder(settings, version) and tuned.run_id == summary["run_id"]
    assert tuned.model_id == summary["model_id"]


def test_unknown_or_unfit_versions_are_clear_errors(
    tuned_home, model_dir: Path, monkeypatch, capsys
):
    home, _ = tuned_home
    with pytest.raises(NotRegisteredError, match="no registered version '99'"):
        named_embedder(Settings(home=home, model_dir=model_dir), "99")
    monkeypatch.setenv("WERKMATCH_HOME", str(home))
    monkeypatch.setenv("WERKMATCH_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    try:
        assert main(["embedder", "report", "--versions", "base,99"]) == 2
        assert "error: werkmatch-embedder has no registered version '99'" in capsys.readouterr().err
        assert main(["embedder", "report", "--versions", "base"]) == 2
        assert "needs a fine-tuned version" in capsys.readouterr().err
        assert main(["embedder", "promote", "99"]) == 2
    finally:
        get_settings.cache_clear()


def test_markdown_has_a_row_per_embedder_in_both_tables():
    def titles(x: float) -> dict[str, TitleMetrics]:
        return {k: TitleMetrics(x, x / 2, x / 4, 105) for k in ("dev", "dev_fused", "held_out")}

    ranking = {"cosine": 0.41, "cosine_filters": 0.52, "ranker": 0.63, "ranker_refit": 0.64}
    rows = [
        EmbedderFigures("base e5", "e5@aaa", titles(0.8), ranking),
        EmbedderFigures("v1 fine-tuned", "e5-ft@bbb", titles(0.6), ranking),
    ]
    text = markdown(rows, None)
    assert "| base e5 | 0.800 / 0.400 / 0.200 | 0.800 / 0.400 / 0.200 |" in text
    assert "| v1 fine-tuned | 0.410 | 0.520 | 0.630 | 0.640 |" in text
    assert "| embedder | cosine | cosine + filters | cosine | ranker refitted on it |" in text
    assert "v1 fine-tuned = `e5-ft@bbb`" in text
