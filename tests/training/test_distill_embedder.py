"""The static model: distilled offline from the local e5 folder, loaded as a static embedder."""

from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.embedder import MODEL_ID_FILE, STATIC_BATCH, model_id_of
from tests.conftest import STATIC_DIMS
from tests.conftest import STATIC_TEXTS as TEXTS
from training.distill_embedder import exact_alternation, vocabulary_of


def test_static_model_is_stamped_and_loads_as_a_static_embedder(tiny_static, embedder):
    static = tiny_static
    stamp = json.loads((static.model_dir / MODEL_ID_FILE).read_text())
    assert stamp["source"] == embedder.model_id
    assert model_id_of(static.model_dir) == stamp["id"] != embedder.model_id
    assert static.static and not embedder.static
    assert static.precision == "fp32" and static.batch_size == STATIC_BATCH
    assert static.dim == STATIC_DIMS


def test_static_vectors_are_unit_length_and_keep_the_gist(tiny_static):
    static = tiny_static
    v = static.encode(TEXTS, "passage")
    assert v.shape == (len(TEXTS), STATIC_DIMS)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    for i in range(0, len(TEXTS), 2):  # each text is closest to its pair
        others = np.delete(sims[i], i)
        assert sims[i, i + 1] == others.max()
    assert np.allclose(static.encode(TEXTS[:2], "query"), v[:2])  # no prompts: symmetric


PIECE = st.text(alphabet="ab▁.*()|?$^\\é", max_size=5)  # regex syntax and sentencepiece marks


@settings(max_examples=200, deadline=None)
@given(st.sets(PIECE, max_size=12), st.lists(PIECE, max_size=12))
def test_the_trie_pattern_keeps_exactly_the_pieces_a_plain_alternation_keeps(words, probes):
    trie = re.compile(r"^(?!" + exact_alternation(words) + r"$)")
    plain = r"^(?!(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")$)"
    for probe in [*words, *probes]:
        removed = trie.match(probe) is not None
        assert removed == (probe not in words)
        if words:  # an empty plain alternation would keep the empty string only
            assert removed == (re.match(plain, probe) is not None)


def test_the_vocabulary_is_the_pieces_the_models_tokenizer_makes_of_each_text(model_dir, tmp_path):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from matching.occupations import esco_labels

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    odd = ["", "   ", "Café\u0301 ÉÉN", "中文 职位", "👩‍🔧 monteur", "a\tb\nc", "x" * 600]
    texts = [*TEXTS, *esco_labels()[0][:2000], *odd, "Medewerker/ster (m/v/x), 32 uur"]
    expected = {piece for text in texts for piece in tokenizer.tokenize(text)}
    assert vocabulary_of(model_dir, texts) == expected
    saved = Tokenizer.from_file(str(model_dir / "tokenizer.json"))  # as a fine-tuned folder
    saved.enable_truncation(max_length=8)  # may keep them: neither cuts or pads a piece
    saved.enable_padding(pad_token="<pad>", pad_id=tokenizer.pad_token_id, length=64)
    saved.save(str(tmp_path / "tokenizer.json"))
    assert vocabulary_of(tmp_path, texts) == expected


def test_a_pruned_source_distils_the_model_that_removing_tokens_by_pattern_does(
    model_dir, tmp_path, monkeypatch
):
    """Cut down to the kept pieces before model2vec sees it, e5 distils to the same model,
    to the bit, as when model2vec removes every other token of the full vocabulary."""
    from safetensors.numpy import load_file

    from training import distill_embedder

    pieces = vocabulary_of(model_dir, [*TEXTS, "Medewerker/ster (m/v/x), 32 uur"])
    assert distill_embedder.pruned_source(model_dir, pieces, tmp_path / "source") is not None
    distill_embedder.distill_static(model_dir, tmp_path / "pruned", 16, keep_tokens=pieces)
    monkeypatch.setattr(distill_embedder, "pruned_source", lambda *args: None)
    distill_embedder.distill_static(model_dir, tmp_path / "pattern", 16, keep_tokens=pieces)
    pruned, pattern = tmp_path / "pruned", tmp_path / "pattern"
    tokenizer = json.loads((pruned / "tokenizer.json").read_text())
    assert tokenizer == json.loads((pattern / "tokenizer.json").read_text())
    assert {p for p, _ in tokenizer["model"]["vocab"]} >= pieces
    vectors = [load_file(str(d / "model.safetensors")).popitem()[1] for d in (pruned, pattern)]
    assert np.array_equal(*vectors)


def test_a_source_this_cannot_prune_exactly_is_not_pruned(model_dir, tmp_path):
    """Each case changes one thing of e5's files (which are pruned, above): another
    post-processor, a BPE model, a RoBERTa (positions depend on the pad id), a special
    token that is not an added token, a missing file."""
    from training.distill_embedder import pruned_source

    def pruned_with(tokenizer=None, config=None, model=None, drop=None) -> object:
        folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for name, change in (
            ("tokenizer.json", tokenizer),
            ("tokenizer_config.json", config),
            ("config.json", model),
        ):
            content = json.loads((model_dir / name).read_text())
            if change:
                change(content)
            if name != drop:
                (folder / name).write_text(json.dumps(content))
        return pruned_source(folder, {"▁kok"}, folder / "out")

    roberta = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]}
    assert pruned_with(tokenizer=lambda t: t.update(post_processor=roberta)) is None
    assert pruned_with(tokenizer=lambda t: t["model"].update(type="BPE")) is None
    assert pruned_with(model=lambda c: c.update(model_type="xlm-roberta")) is None
    assert pruned_with(config=lambda c: c.update(pad_token="▁kok")) is None
    assert pruned_with(drop="config.json") is None
