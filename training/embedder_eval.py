"""How a fine-tuned embedder is judged: title benchmarks, the promotion rule, a metrics cache.

Both embedders of a run (the current one and the candidate) are scored on the development
benchmark and on retrieval of held-out occupations. The current embedder's figures do not
change between runs, so each set's figures are cached in the cache directory by a digest of
everything they are computed from (model id, queries, corpus, judgements); a retraining then
encodes only the candidate's ~5,700 benchmark texts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from eval.embedders import dev_metrics, embedding_metrics, fused_dev_metrics
from eval.titles import TitleMetrics, read_benchmark
from training.embedder_data import EmbedderData, held_out_set

log = logging.getLogger("werkmatch")

DECIDING_SETS = ("dev", "held_out")  # the candidate must beat the current embedder on both


def evaluate_embedder(
    embedder, data: EmbedderData, held_out_queries: int, fused: bool, cache_dir: Path
) -> dict[str, TitleMetrics]:
    """Development benchmark and held-out occupations (and the fused matcher, if asked),
    each read from the cache when this model was scored on exactly that set before."""
    held = held_out_set(data, held_out_queries)
    dev = read_benchmark()
    subsets: dict[str, tuple[tuple, Callable[[], TitleMetrics]]] = {
        "dev": (dev, lambda: dev_metrics(embedder)),
        "held_out": (
            (held.queries, held.corpus, held.qrels),
            lambda: embedding_metrics(embedder, held.queries, held.corpus, held.qrels),
        ),
    }
    if fused:
        subsets["dev_fused"] = (dev, lambda: fused_dev_metrics(embedder, cache_dir))
    folder = cache_dir / "embedder-metrics"
    model = f"{embedder.model_id}/{embedder.precision}"  # bf16 and fp32 differ a little
    return {
        name: cached(folder / f"{name}-{evaluation_key(model, inputs)}.json", compute)
        for name, (inputs, compute) in subsets.items()
    }


def evaluation_key(model_id: str, inputs: tuple) -> str:
    """A digest of the model id and every input of a figure: queries, corpus, judgements."""
    h = hashlib.blake2b(model_id.encode(), digest_size=12)
    for part in inputs:  # judgements: query -> set of ids, in an order no hash seed changes
        if isinstance(part, dict):
            part = sorted((q, sorted(ids)) for q, ids in part.items())
        h.update(repr(part).encode())
    return h.hexdigest()


def cached(path: Path, compute: Callable[[], TitleMetrics]) -> TitleMetrics:
    """The figures saved at `path`, else `compute()`d and saved (atomically)."""
    if path.exists():
        log.info("embedder benchmark figures read from the cache (%s)", path.name)
        return TitleMetrics(**json.loads(path.read_text()))
    metrics = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(metrics)))
    tmp.replace(path)
    return metrics


def beats(candidate: dict[str, TitleMetrics], current: dict[str, TitleMetrics]) -> bool:
    """Promotion rule: higher NDCG@10 on the development benchmark and on held-out occupations."""
    return all(candidate[s].ndcg10 > current[s].ndcg10 for s in DECIDING_SETS)
