"""The title matcher's second stage, and the matcher's settings kept per embedder.

The first stage fuses the signals of `matching.titles` over the whole corpus; the second
re-orders its best `top_k` with a learned ranker (LambdaMART) over what the fusion cannot
weigh per candidate: each signal's raw score, its per-query z-score and its distance to the
query's best, the candidate's first-stage rank, word overlap and head agreement (the last
word's compound head says what the job is), and what kind of label the candidate is (an ESCO
preferred or alternative label, an ISCO group label, or another title). The stage is trained
on ESCO corpora, where every candidate is a label: on a corpus that is not (fewer than
ESCO_CORPUS_SHARE of its titles are ESCO or ISCO labels) the kind says nothing the stage has
learned, so a stage trained without it (`without_kinds`) re-orders instead.

`TitleMatcherSettings` (fusion weights chosen on validation occupations, the second stage if
it beat the first there) is trained by `werkmatch train-titles` and stored beside the
embedder's caches under the embedder's model id, so every embedder has its own.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

from matching.lexical import cleaned_title
from matching.taxonomy import taxonomy
from matching.titles import DEFAULT_WEIGHTS, Decompounder, RowStats, row_stats, title_words
from models.embedder import model_slug

log = logging.getLogger("werkmatch")

TOP_K = 30
KINDS = {"other": 0, "preferred": 1, "alternative": 2, "isco": 3}
ESCO_CORPUS_SHARE = 0.9  # of a corpus's titles that are ESCO or ISCO labels


@lru_cache(maxsize=1)
def label_kinds() -> dict[str, int]:
    """Cleaned ESCO and ISCO label text -> its kind (the first kind wins)."""
    tax = taxonomy()
    kinds: dict[str, int] = {}
    for label in tax.isco_labels.values():
        kinds.setdefault(cleaned_title(label), KINDS["isco"])
    for occ in tax.occupations.values():
        kinds.setdefault(cleaned_title(occ.label), KINDS["preferred"])
        for alt in occ.alt_labels:
            kinds.setdefault(cleaned_title(alt), KINDS["alternative"])
    return kinds


def esco_share(titles: list[str]) -> float:
    """The share of (cleaned) titles that are ESCO occupation or ISCO group labels."""
    kinds = label_kinds()
    return sum(t in kinds for t in titles) / max(len(titles), 1)


def candidate_features(
    raw: dict,
    fused: np.ndarray,
    cols: np.ndarray,
    queries: list[str],
    docs: list[str],
    decompounder: Decompounder,
    stats: dict[str, RowStats] | None = None,
    kinds: bool = True,
) -> np.ndarray:
    """One row per (query, candidate) of `cols` (n_queries x top_k corpus columns);
    `stats`: the signals' `row_stats` when the caller has them; `kinds`: whether the last
    column is the candidate's label kind."""
    n, k = cols.shape
    parts = []
    for s in sorted(raw):
        mean, std = stats[s] if stats and s in stats else row_stats(raw[s])
        picked, best = picked_and_best(raw[s], cols)
        parts += [picked, (picked - mean[:, None]) / std[:, None], best[:, None] - picked]
    picked = np.take_along_axis(fused, cols, 1)
    parts += [picked, fused.max(1)[:, None] - picked, np.log1p(np.tile(np.arange(k), (n, 1)))]
    info = _TitleInfo(decompounder)
    lexical = np.array(
        [info.pair(queries[i], docs[j]) for i in range(n) for j in cols[i]], dtype=np.float32
    ).reshape(n, k, -1)
    if not kinds:
        lexical = lexical[:, :, :-1]
    numeric = np.stack(parts, axis=2).astype(np.float32)
    return np.concatenate([numeric, lexical], axis=2).reshape(n * k, -1)


def picked_and_best(scores, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The scores at `cols` per row, and each row's best score; a sparse matrix is read
    where it is stored, not made dense."""
    if not sparse.issparse(scores):
        return np.take_along_axis(scores, cols, 1), scores.max(axis=1)
    rows = np.arange(cols.shape[0])[:, None]
    return scores[rows, cols].toarray(), scores.max(axis=1).toarray().ravel()


class _TitleInfo:
    """Words, word count and compound head per title, each title analysed once per call."""

    def __init__(self, decompounder: Decompounder) -> None:
        self.decompounder = decompounder
        self.kinds = label_kinds()
        self.seen: dict[str, tuple[frozenset[str], int, str]] = {}

    def of(self, title: str) -> tuple[frozenset[str], int, str]:
        found = self.seen.get(title)
        if found is None:
            words = title_words(title)
            head = self.decompounder.split(words[-1])[-1] if words else ""
            found = self.seen[title] = (frozenset(words), len(words), head)
        return found

    def pair(self, query: str, doc: str) -> tuple[float, ...]:
        """query words, doc words, share of the query's words in the doc, heads equal, kind"""
        (qw, qn, qh), (dw, dn, dh) = self.of(query), self.of(doc)
        shared = len(qw & dw) / max(len(qw), 1)
        kind = self.kinds.get(doc, KINDS["other"])
        return (qn, dn, shared, float(bool(qh) and qh == dh), kind)


@dataclass
class SecondStage:
    """A fitted ranker that re-orders the first stage's best `top_k`."""

    model: object  # a learning-to-rank model with `predict` (LightGBM's LGBMRanker)
    signals: tuple[str, ...]
    top_k: int = TOP_K
    kinds: bool = True  # the label kind is a feature
    without_kinds: SecondStage | None = None  # for corpora that are not ESCO's labels

    def for_corpus(self, titles: list[str]) -> SecondStage | None:
        """The stage for a corpus of (cleaned) titles; None: the first stage's order stands."""
        if not self.kinds or esco_share(titles) >= ESCO_CORPUS_SHARE:
            return self
        return self.without_kinds

    def reorder(
        self, raw: dict, stats: dict, fused: np.ndarray, cols: np.ndarray, queries, docs, dec
    ):
        """`cols` re-ordered per row by the ranker, and the scores it gave them; `stats`:
        the signals' `row_stats`, as the fusion computed them."""
        used = {s: raw[s] for s in self.signals}
        x = candidate_features(used, fused, cols, queries, docs, dec, stats, self.kinds)
        p = self.model.predict(x).reshape(cols.shape)
        order = np.argsort(-p, axis=1, kind="stable")
        return np.take_along_axis(cols, order, 1), np.take_along_axis(p, order, 1)


@dataclass
class TitleMatcherSettings:
    """What `werkmatch train-titles` chose for one embedder."""

    model_id: str
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    second_stage: SecondStage | None = None
    report: dict = field(default_factory=dict)

    @staticmethod
    def path(cache_dir: Path, model_id: str) -> Path:
        return cache_dir / f"title-matcher-{model_slug(model_id)}.pkl"

    def save(self, cache_dir: Path) -> Path:
        path = self.path(cache_dir, self.model_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(self))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, cache_dir: Path, model_id: str) -> TitleMatcherSettings | None:
        """The settings trained for this embedder, or None (the shipped defaults apply)."""
        path = cls.path(cache_dir, model_id)
        if not path.exists():
            return None
        settings = pickle.loads(path.read_bytes())
        return settings if settings.model_id == model_id else None
