"""`werkmatch distill-embedder`: a static embedding model for bulk work, distilled from e5.

model2vec passes every token of the source model's vocabulary through the model once (offline,
from the local folder), reduces the token vectors with PCA and weights them by frequency; a
text's vector is then the mean of its tokens' vectors: thousands of texts per second on 2 cores
instead of tens. It is registered as an embedder version like any other, so a large population
can be embedded with it first and served at once (`werkmatch embedder promote V`), and switched
to e5 in the background later, without ever mixing the two models' vectors.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from eval.embedders import dev_metrics, fused_dev_metrics
from matching.config import Settings
from matching.embedders import EmbedderRef, base_embedder, load_embedder
from matching.records import Kind
from matching.store import Store
from matching.timing import stage, started
from models.embedder import Embedder, model_id_of, write_model_id
from models.registry import (
    EMBEDDER_EXPERIMENT,
    EMBEDDER_NAME,
    configure,
    promote,
    register_embedder,
)

log = logging.getLogger("werkmatch")


def distill_static(
    source: Path,
    out: Path,
    pca_dims: int | None = 256,
    keep_tokens: Iterable[str] | None = None,
) -> str:
    """Distil the transformer in `source` into a SentenceTransformer folder; returns its id.

    `pca_dims` None keeps the source's dimensionality; `keep_tokens` restricts the vocabulary
    to these tokenizer pieces (a domain vocabulary: a smaller model, distilled in seconds).
    """
    from model2vec.distill import distill_from_model
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding

    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer, remove = _source_for(source, keep_tokens, Path(tmp) / "source")
        static = distill_from_model(
            model, tokenizer, pca_dims=pca_dims, token_remove_pattern=remove, quantize_to="float32"
        )
        static.save_pretrained(f"{tmp}/static")
        module = StaticEmbedding.from_model2vec(f"{tmp}/static")
    st = SentenceTransformer(modules=[module, Normalize()], device="cpu")
    if out.exists():
        shutil.rmtree(out)
    st.save(str(out))
    dims = pca_dims or model.config.hidden_size
    return write_model_id(out, f"{source.name}-static{dims}", source=model_id_of(source))


def _source_for(source: Path, keep_tokens: Iterable[str] | None, scratch: Path):
    """(model, tokenizer, pattern of the tokens model2vec removes) for a distillation.

    With `keep_tokens`, the source is cut down to those pieces first where its tokenizer
    allows (`pruned_source`): model2vec then copies a vocabulary of thousands of pieces,
    not e5's 250,000 (first run: 6 s against 21 s, the same model to the bit). Otherwise
    model2vec removes the other tokens itself, by pattern."""
    from transformers import AutoModel, AutoTokenizer

    keep = None if keep_tokens is None else set(keep_tokens)
    if keep is not None and (pruned := pruned_source(source, keep, scratch)) is not None:
        return *pruned, None
    model = AutoModel.from_pretrained(str(source), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
    if keep is None:
        return model, tokenizer, None
    keep |= set(tokenizer.all_special_tokens)  # model2vec removes the tokens that match this
    return model, tokenizer, r"^(?!" + exact_alternation(keep) + r"$)"


def pruned_source(source: Path, keep: set[str], out: Path):
    """The source's model and tokenizer cut down to the pieces of `keep` and the special
    tokens, in their original order (model2vec's frequency weights follow that order), the
    pruned tokenizer written to `out`; None unless the source is a BERT with a Unigram
    tokenizer whose ids this knows how to renumber (model2vec then removes tokens by
    pattern)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    files = [source / name for name in ("tokenizer.json", "tokenizer_config.json", "config.json")]
    if not all(f.exists() for f in files):
        return None
    spec, config, model_config = (json.loads(f.read_text(encoding="utf-8")) for f in files)
    specials = {added["content"] for added in spec["added_tokens"]}
    named = {v for k, v in config.items() if k.endswith("_token") and isinstance(v, str)}
    if spec["model"]["type"] != "Unigram" or model_config.get("model_type") != "bert":
        return None  # a BERT's positions do not depend on the pad id; RoBERTa's do
    if not named <= specials:
        return None  # a special token not among the added ones would be dropped
    vocab = spec["model"]["vocab"]
    kept = [i for i, (piece, _) in enumerate(vocab) if piece in keep or piece in specials]
    new_id = {old: new for new, old in enumerate(kept)}
    if not kept or kept[-1] >= model_config.get("vocab_size", 0) or not _renumber(spec, new_id):
        return None
    spec["model"]["vocab"] = [vocab[i] for i in kept]
    out.mkdir(parents=True)
    (out / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    config.pop("added_tokens_decoder", None)  # by the full vocabulary's ids: read them anew
    (out / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    model = AutoModel.from_pretrained(str(source), local_files_only=True)
    full = model.get_input_embeddings()
    rows = torch.nn.Embedding(len(kept), full.embedding_dim)
    rows.weight.data = full.weight.data[torch.tensor(kept)].clone()
    model.set_input_embeddings(rows)
    model.config.vocab_size = len(kept)
    if model.config.pad_token_id is not None:
        model.config.pad_token_id = new_id.get(model.config.pad_token_id)
    return model, AutoTokenizer.from_pretrained(str(out), local_files_only=True)


def _renumber(spec: dict, new_id: dict[int, int]) -> bool:
    """Renumber the token ids a tokenizer.json holds outside its vocabulary, in place;
    False where it holds ids in a place this does not know, or ids of removed tokens."""
    post = spec.get("post_processor")
    if post is not None and post.get("type") != "TemplateProcessing":
        return False
    ids = [spec["model"].get("unk_id")]
    ids += [added["id"] for added in spec["added_tokens"]]
    ids += [i for token in (post or {}).get("special_tokens", {}).values() for i in token["ids"]]
    ids += [(spec.get("padding") or {}).get("pad_id")]
    if any(i is not None and i not in new_id for i in ids):
        return False
    if spec["model"].get("unk_id") is not None:
        spec["model"]["unk_id"] = new_id[spec["model"]["unk_id"]]
    for added in spec["added_tokens"]:
        added["id"] = new_id[added["id"]]
    for token in (post or {}).get("special_tokens", {}).values():
        token["ids"] = [new_id[i] for i in token["ids"]]
    if spec.get("padding"):
        spec["padding"]["pad_id"] = new_id[spec["padding"]["pad_id"]]
    return True


def exact_alternation(words: Iterable[str]) -> str:
    """A regex group matching exactly the strings of `words`, as a trie of their characters:
    matching a string costs its length, not a try per word (a plain `a|b|...` over ~8,000
    pieces took 7 s over the 250,000 tokens of e5's vocabulary)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # the end of a word

    def group(node: dict) -> str:
        options = [
            "" if char == "" else re.escape(char) + group(child)
            for char, child in sorted(node.items())
        ]
        return "(?:" + "|".join(options) + ")"

    return group(trie) if trie else "(?!)"


def vocabulary_of(source: Path, texts: Iterable[str]) -> set[str]:
    """The tokenizer pieces of `texts` under the source model's tokenizer: the vocabulary
    of a domain distillation (`distill_static(keep_tokens=...)`).

    Read with the `tokenizers` library from the folder's `tokenizer.json`, all texts in one
    batch: the same pieces as `AutoTokenizer(...).tokenize` text by text, in 0.9 + 5.3 s
    instead of 3.2 + 8.3 s for the first run's 52,114 texts."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_truncation()  # a saved folder may keep them; `tokenize` applies neither
    tokenizer.no_padding()
    pieces: set[str] = set()
    for encoding in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        pieces.update(encoding.tokens)
    return pieces


def throughput(embedder: Embedder, texts: list[str]) -> float:
    """Passages embedded per second (after one warm-up batch)."""
    embedder.encode(texts[:64], "passage")
    with stage() as took:
        embedder.encode(texts, "passage")
    return len(texts) / took.seconds


def sample_texts(settings: Settings, n: int = 2000) -> list[str]:
    """Record texts of the data directory (jobseekers first), for throughput figures."""
    store = Store(settings.db_url)
    texts = [t for _, _, t in store.vectors.pending_texts(Kind.JOBSEEKERS, "-", limit=n)]
    if len(texts) < n:
        texts += [
            t for _, _, t in store.vectors.pending_texts(Kind.VACANCIES, "-", limit=n - len(texts))
        ]
    return texts


def distill_embedder(
    settings: Settings, pca_dims: int = 256, promote_it: bool = False, fused: bool = True
) -> dict[str, object]:
    """Distil the base e5 model, measure quality and speed against it, register (and, if
    asked, promote) the static model.

    From the base model rather than a fine-tuned one: measured on the development benchmark,
    distilling the fine-tuned model gave a worse static model (MRR .668 against .685), its
    gains being in how words combine, which averaging token vectors cannot keep.
    """
    source = base_embedder(settings)
    took = started()
    mlflow = configure(settings.tracking_uri, settings.home, EMBEDDER_EXPERIMENT)
    with (
        mlflow.start_run(run_name=f"distill-static{pca_dims}") as run,
        tempfile.TemporaryDirectory(dir=settings.home) as tmp,
    ):
        out = Path(tmp) / "static"
        model_id = distill_static(source.path, out, pca_dims)
        distill_s = took.seconds
        embedders = {
            "source": load_embedder(settings, batch_size=128, ref=source),
            "static": load_embedder(settings, ref=EmbedderRef("static", out)),
        }
        texts = sample_texts(settings)
        figures: dict[str, dict[str, float]] = {}
        for name, embedder in embedders.items():
            dev = dev_metrics(embedder).row()
            figures[name] = {f"dev_{k}": v for k, v in dev.items()}
            if fused:
                fused_m = fused_dev_metrics(embedder, settings.cache_dir).row()
                figures[name].update({f"dev_fused_{k}": v for k, v in fused_m.items()})
            if texts:
                figures[name]["texts_per_s"] = throughput(embedder, texts)
        mlflow.log_params({"pca_dims": pca_dims, "source_model": source.model_id})
        for name, values in figures.items():
            mlflow.log_metrics({f"{name}_{k.replace('@', '_at_')}": v for k, v in values.items()})
        mlflow.log_metric("distill_seconds", distill_s)
        mlflow.log_artifacts(str(out), "embedder")
        version = register_embedder(
            settings.tracking_uri, settings.home, run.info.run_id, "embedder"
        )
    if promote_it:
        promote(settings.tracking_uri, settings.home, version, EMBEDDER_NAME)
    return {
        "version": version,
        "model_id": model_id,
        "source": source.model_id,
        "promoted": promote_it,
        "figures": figures,
        "sample_texts": len(texts),
        "distill_s": round(distill_s, 1),
    }
