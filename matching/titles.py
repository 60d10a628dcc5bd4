"""Ranking job titles against a corpus of titles: three signals, fused.

- `embedding`: the multilingual e5 model, `query:` on both sides (a symmetric task).
- `char`: character 2-4-gram TF-IDF (robust to typos and inflection).
- `compound`: word TF-IDF after splitting Dutch compounds against a vocabulary of known
  words ("heftruckchauffeur" -> heftruck + chauffeur), with the head (last part) repeated,
  since in Dutch the head says what the job is.
- `taxonomy`: both titles mapped onto ESCO occupations (a soft top-10), compared through
  shared occupations and ISCO unit and minor groups: knowledge the surface text lacks.

Each signal's scores are standardised per query (z-scores over the corpus) and summed with
weights chosen on the development benchmark (`werkmatch title-benchmark`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.lexical import SparseRows, clean_title, cleaned_title, transform
from models.embedder import TITLE_BATCH

SIGNALS = ("embedding", "char", "compound", "taxonomy")
# Chosen on the development benchmark (`werkmatch title-benchmark`, grid over the simplex): a
# central point of the many weightings that beat every single signal on MRR, NDCG@10 and R@10.
DEFAULT_WEIGHTS = {"embedding": 0.5, "char": 0.1, "compound": 0.2, "taxonomy": 0.2}
# queries are encoded in smaller batches than a corpus: measured on 1,014 ESCO titles, 2 cores,
# bf16: 383 titles/s at 128 against 348 at 256 (shorter padding per batch)
QUERY_ENCODE_BATCH = 128
_WORD = re.compile(r"[a-zà-ÿ0-9]+")
_LINKERS = ("", "s", "e", "en")


class EmptyTitleError(ValueError):
    """A title with nothing left after removing noise."""


def title_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Decompounder:
    """Splits Dutch compounds into known words (greedy, longest head first)."""

    def __init__(self, vocabulary: Iterable[str], min_part: int = 3) -> None:
        self.vocab = {w for w in vocabulary if len(w) >= min_part}
        self.min_part = min_part

    @lru_cache(maxsize=100_000)  # noqa: B019 - instances live for the process
    def split(self, word: str) -> tuple[str, ...]:
        """Parts of a word (the word itself when it does not split into known parts)."""
        n = len(word)
        for cut in range(self.min_part, n - self.min_part + 1):
            head = word[cut:]
            if head not in self.vocab:
                continue
            left = word[:cut]
            for linker in _LINKERS:
                stem = left[: len(left) - len(linker)] if linker else left
                if linker and not left.endswith(linker):
                    continue
                if len(stem) < self.min_part:
                    continue
                parts = (stem,) if stem in self.vocab else self.split(stem)
                if all(p in self.vocab for p in parts):
                    return (*parts, head)
        return (word,)

    def analyse(self, text: str) -> list[str]:
        """Tokens of a title: words, their parts, and the last word's head once more."""
        tokens: list[str] = []
        words = title_words(text)
        for w in words:
            parts = self.split(w)
            tokens.append(w)
            if len(parts) > 1:
                tokens.extend(parts)
        if words:
            tokens.append("HEAD_" + self.split(words[-1])[-1])
        return tokens


@dataclass
class Ranked:
    ids: list[str]
    scores: np.ndarray


class TitleRanker:
    """Scores query titles against a fixed corpus of titles."""

    def __init__(
        self,
        embedder=None,
        weights: dict[str, float] | None = None,
        vocabulary: Iterable[str] = (),
        occupations=None,
        vector_cache=None,
        second_stage=None,
    ) -> None:
        self.embedder = embedder
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        self._extra_vocab = list(vocabulary)
        self.occupations = occupations  # an OccupationIndex, for the taxonomy signal
        self.vector_cache = vector_cache  # a TitleVectorCache for corpus titles
        self.second_stage = second_stage  # a title_rerank.SecondStage, or None

    def fit(
        self, ids: Sequence[str], titles: Sequence[str], vectors: np.ndarray | None = None
    ) -> TitleRanker:
        """Index a corpus; `vectors` may carry precomputed `query:` embeddings of the titles
        (otherwise they come from `vector_cache`, when one is set, or are encoded)."""
        self.ids_ = list(ids)
        self.titles_ = [cleaned_title(t) for t in titles]
        vocab = {w for t in self.titles_ for w in title_words(t)} | set(self._extra_vocab)
        self.decompounder_ = Decompounder(vocab)
        self.compound_ = TfidfVectorizer(
            analyzer=self.decompounder_.analyse, sublinear_tf=True, dtype=np.float32
        )
        compound = self.compound_.fit_transform(self.titles_)
        self.char_ = SparseRows(transform(self.titles_))
        # transposed once, in CSR, so that query products need no format conversion
        self.compound_t_ = compound.T.tocsr()
        self.vectors_ = None
        stage_wants = self.second_stage is not None and "embedding" in self.second_stage.signals
        if self.embedder is not None and (self.weights.get("embedding", 0) > 0 or stage_wants):
            self.vectors_ = vectors if vectors is not None else self._corpus_vectors()
        self.profiles_ = (
            self.occupations.profiles(self.titles_, vectors=self.vectors_)
            if self.occupations is not None
            else None
        )
        return self

    def _corpus_vectors(self) -> np.ndarray:
        if self.vector_cache is not None:
            return self.vector_cache.vectors(self.titles_)
        return self.embedder.encode(self.titles_, "query", batch_size=TITLE_BATCH)

    def clean(self, queries: Sequence[str]) -> list[str]:
        out = []
        for q in queries:
            cleaned = clean_title(q)
            if not any(len(w) >= 2 for w in title_words(cleaned)):
                raise EmptyTitleError(f"no job title in {q!r}")
            out.append(cleaned)
        return out

    def signal_scores(
        self,
        queries: Sequence[str],
        signals: Sequence[str] = SIGNALS,
        vectors: np.ndarray | None = None,
    ) -> dict[str, np.ndarray | sparse.csr_matrix]:
        """Raw cosine scores per signal, each (n_queries, n_corpus); `compound` is sparse.

        `vectors` may carry the queries' `query:` embeddings (of their cleaned text), so that
        a caller scoring them twice (corpus and taxonomy) encodes them once.
        """
        q = self.clean(queries)
        out: dict[str, np.ndarray] = {}
        if "char" in signals:
            out["char"] = self.char_.scores(transform(q))
        if "compound" in signals:
            out["compound"] = self.compound_.transform(q) @ self.compound_t_
        needed = ("embedding" in signals and self.vectors_ is not None) or (
            "taxonomy" in signals and self.profiles_ is not None
        )
        if vectors is None and needed and self.embedder is not None:
            vectors = self.embedder.encode(q, "query", batch_size=QUERY_ENCODE_BATCH)
        if "embedding" in signals and self.vectors_ is not None:
            out["embedding"] = vectors @ self.vectors_.T
        if "taxonomy" in signals and self.profiles_ is not None:
            profiles = self.occupations.profiles(q, vectors=vectors)
            out["taxonomy"] = (profiles @ self.profiles_.T).toarray()
        return out

    def scores(self, queries: Sequence[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """Fused scores: weighted sum of per-query standardised signals."""
        weights = weights or self.weights
        raw = self.signal_scores(queries, [s for s, w in weights.items() if w > 0])
        return fuse(raw, weights)

    def rank(self, queries: Sequence[str], top: int = 100) -> list[Ranked]:
        """The `top` corpus ids per query, best first, with the fused scores; with a second
        stage, the first stage's best `top_k` re-ordered by it, scored above the rest (the
        next fused score + 1 + the stage's score above its row's lowest), so scores still
        fall with the rank."""
        stage = self.corpus_stage()
        wanted = {s for s, w in self.weights.items() if w > 0} | set(stage.signals if stage else ())
        raw = self.signal_scores(queries, [s for s in SIGNALS if s in wanted])
        stats = signal_stats(raw)  # once, for the fusion and the second stage
        fused = fuse(raw, self.weights, stats)
        cols = top_columns(fused, max(top, stage.top_k if stage else 0))
        scores = np.take_along_axis(fused, cols, 1)
        if stage is not None:
            k = min(stage.top_k, cols.shape[1])
            q = self.clean(queries)
            head, p = stage.reorder(
                raw, stats, fused, cols[:, :k], q, self.titles_, self.decompounder_
            )
            below = scores[:, k] if k < cols.shape[1] else np.zeros(len(q), np.float32)
            lifted = below[:, None] + 1 + (p - p.min(axis=1, keepdims=True))
            cols[:, :k], scores[:, :k] = head, lifted
        cols, scores = cols[:, :top], scores[:, :top]
        return [Ranked([self.ids_[j] for j in row], scores[i]) for i, row in enumerate(cols)]

    def corpus_stage(self):
        """The second stage that fits this corpus (`SecondStage.for_corpus`: ~2 ms over the
        22,000 ESCO labels, once per batch), or None."""
        return self.second_stage.for_corpus(self.titles_) if self.second_stage else None


def top_columns(scores: np.ndarray, top: int) -> np.ndarray:
    """Column indices of each row's `top` best scores, best first (equal scores by column,
    except that which of several equal scores at the cut-off is kept is arbitrary).

    The selection is torch's `topk` (on all cores, ~6x faster than `np.argpartition` on
    256 x 22,807 scores); the order is numpy's stable sort of the selected columns.
    """
    import torch

    top = min(top, scores.shape[1])
    if top < scores.shape[1]:
        selected = torch.topk(torch.from_numpy(scores), top, dim=1, sorted=False).indices
        cols = selected.numpy()
        cols.sort(axis=1)
    else:
        cols = np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    order = np.argsort(-np.take_along_axis(scores, cols, 1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, 1)


STATS_SAMPLE = 4096  # wide corpora: per-row mean and std estimated on this many columns
_SAMPLE_SEED = 0


def dense(scores) -> np.ndarray:
    """A score matrix as a dense float32 array."""
    return scores.toarray() if sparse.issparse(scores) else np.asarray(scores, np.float32)


RowStats = tuple[np.ndarray, np.ndarray]  # per-row mean and std of one signal's scores


def row_stats(scores) -> RowStats:
    """Per-row mean and std, from a fixed column sample on wide corpora."""
    n_cols = scores.shape[1]
    ref = scores
    if n_cols > 2 * STATS_SAMPLE:
        cols = np.random.default_rng(_SAMPLE_SEED).choice(n_cols, STATS_SAMPLE, replace=False)
        ref = scores[:, cols]
    ref = dense(ref)
    std = ref.std(axis=1)
    return ref.mean(axis=1), np.where(std > 0, std, 1.0).astype(np.float32)


def standardise(scores) -> np.ndarray:
    """Per-row z-scores (float32)."""
    mean, std = row_stats(scores)
    return (dense(scores) - mean[:, None]) / std[:, None]


def signal_stats(raw: dict) -> dict[str, RowStats]:
    """`row_stats` of every signal, for callers that standardise the same scores twice."""
    return {name: row_stats(scores) for name, scores in raw.items()}


def fuse(
    raw: dict, weights: dict[str, float], stats: dict[str, RowStats] | None = None
) -> np.ndarray:
    """Weighted sum of per-row standardised signals; sparse signals are added sparsely;
    `stats`: the signals' `row_stats` when the caller has them.

    z = (s - mean) / std is affine per row, so sum_s w_s z_s is built as one dense matrix
    plus scaled sparse additions minus a per-row constant.
    """
    used = [s for s in raw if weights.get(s, 0) > 0]
    if not used:
        raise ValueError("no signal with a positive weight")
    n, m = raw[used[0]].shape
    total = np.zeros((n, m), dtype=np.float32)
    offset = np.zeros(n, dtype=np.float32)
    for s in used:
        mean, std = stats[s] if stats and s in stats else row_stats(raw[s])
        scale = np.float32(weights[s]) / std
        offset += scale * mean
        if sparse.issparse(raw[s]):
            coo = raw[s].tocoo()  # from CSR: no duplicate entries, so += is exact
            total[coo.row, coo.col] += coo.data * scale[coo.row]
        else:
            total += raw[s] * scale[:, None]
    total -= offset[:, None]
    return total
