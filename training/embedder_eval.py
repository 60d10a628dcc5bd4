"""How a fine-tuned embedder is judged: title benchmarks, the promotion rule, a metrics cache.

Both embedders of a run (the current one and the candidate) are scored on the development
benchmark and on retrieval of held-out occupations: the validation occupations decide (with
the development benchmark) which embedder is promoted, the test occupations are reported.
The current embedder's figures do not change between runs, so each set's figures are cached
in the cache directory by a digest of everything they are computed from (model id, queries,
corpus, judgements); a retraining then encodes only the candidate's benchmark texts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from eval.embedders import dev_metrics, embedding_metrics, fused_dev_metrics
from eval.title_sets import TEST_SHARE, Split, split_of
from eval.titles import TitleMetrics, read_benchmark
from training.embedder_data import EmbedderData, occupation_frame

log = logging.getLogger("werkmatch")

DECIDING_SETS = ("dev", "validation")  # the candidate must beat the current embedder on both


@dataclass
class HeldOutSet:
    """Retrieval of unseen occupations: their alternative and hidden labels against every
    occupation's preferred label."""

    queries: list[tuple[str, str]]  # (qid, a label of a held-out occupation)
    corpus: list[tuple[str, str]]  # (uri, preferred label) of every occupation
    qrels: dict[str, set[str]]


def held_out_set(
    data: EmbedderData,
    split: Split = "test",
    max_queries: int | None = 1000,
    max_corpus: int | None = None,
) -> HeldOutSet:
    """Queries from the held-out occupations of one title split (`eval.title_sets.split_of`
    with the run's seed), a seeded sample if many; `max_corpus` keeps the relevant labels and
    a seeded sample of the others (for quick runs)."""
    chosen = {u for u in data.held_out if split_of(u, data.seed) == split}
    if not chosen:
        raise ValueError(f"no {split} occupations: the held-out share must exceed {TEST_SHARE}")
    occ = occupation_frame()
    corpus = list(zip(occ["uri"], occ["label"], strict=True))
    queries = [
        (f"{row['uri']}#{j}", alt)
        for row in occ.filter(pl.col("uri").is_in(list(chosen))).iter_rows(named=True)
        for j, alt in enumerate(row["alt_labels"])
    ]
    if max_queries is not None and len(queries) > max_queries:
        keep = np.random.default_rng(data.seed).choice(len(queries), max_queries, replace=False)
        queries = [queries[i] for i in sorted(keep)]
    qrels = {qid: {qid.split("#")[0]} for qid, _ in queries}
    if max_corpus is not None and len(corpus) > max_corpus:
        corpus = _smaller_corpus(corpus, set().union(*qrels.values()), max_corpus, data.seed)
    return HeldOutSet(queries, corpus, qrels)


def _smaller_corpus(corpus: list, relevant: set[str], size: int, seed: int) -> list:
    """The relevant documents and a seeded sample of the others, `size` in all (or more, if
    more are relevant); corpus order kept."""
    others = [k for k, (uri, _) in enumerate(corpus) if uri not in relevant]
    n = max(0, min(len(others), size - (len(corpus) - len(others))))
    keep = set(np.random.default_rng(seed).choice(others, n, replace=False).tolist())
    return [c for k, c in enumerate(corpus) if c[0] in relevant or k in keep]


def evaluate_embedder(
    embedder,
    data: EmbedderData,
    held_out_queries: int,
    fused: bool,
    cache_dir: Path,
    held_out_corpus: int | None = None,
) -> dict[str, TitleMetrics]:
    """Development benchmark, validation and test (`held_out`) occupations (and the fused
    matcher, if asked), each read from the cache when this model was scored on exactly that
    set before."""
    dev = read_benchmark()
    subsets: dict[str, tuple[tuple, Callable[[], TitleMetrics]]] = {
        "dev": (dev, lambda: dev_metrics(embedder))
    }
    for name, split in (("validation", "validation"), ("held_out", "test")):
        held = held_out_set(data, split, held_out_queries, held_out_corpus)
        subsets[name] = (
            (held.queries, held.corpus, held.qrels),
            lambda h=held: embedding_metrics(embedder, h.queries, h.corpus, h.qrels),
        )
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
    """Promotion rule: higher NDCG@10 on the development benchmark and on the validation
    occupations (never on the test occupations, which are reported)."""
    return all(candidate[s].ndcg10 > current[s].ndcg10 for s in DECIDING_SETS)
