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

from matching.lexical import clean_title, transform
from models.embedder import TITLE_BATCH

SIGNALS = ("embedding", "char", "compound", "taxonomy")
# Chosen on the development benchmark (`werkmatch title-benchmark`, grid over the simplex): a
# central point of the many weightings that beat every single signal on MRR, NDCG@10 and R@10.
DEFAULT_WEIGHTS = {"embedding": 0.5, "char": 0.1, "compound": 0.2, "taxonomy": 0.2}
_WORD = re.compile(r"[a-zà-ÿ0-9]+")
_LINKERS = ("", "s", "e", "en")


class EmptyTitleError(ValueError):
    """A title with nothing left after removing noise."""


def _words(text: str) -> list[str]:
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
        words = _words(text)
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
    ) -> None:
        self.embedder = embedder
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        self._extra_vocab = list(vocabulary)
        self.occupations = occupations  # an OccupationIndex, for the taxonomy signal

    def fit(
        self, ids: Sequence[str], titles: Sequence[str], vectors: np.ndarray | None = None
    ) -> TitleRanker:
        """Index a corpus; `vectors` may carry precomputed `query:` embeddings of the titles."""
        self.ids_ = list(ids)
        self.titles_ = [clean_title(t) or t.lower() for t in titles]
        vocab = {w for t in self.titles_ for w in _words(t)} | set(self._extra_vocab)
        self.decompounder_ = Decompounder(vocab)
        self.compound_ = TfidfVectorizer(
            analyzer=self.decompounder_.analyse, sublinear_tf=True, dtype=np.float32
        )
        compound = self.compound_.fit_transform(self.titles_)
        # transposed once, in CSR, so that query products need no format conversion
        self.char_t_ = transform(self.titles_).T.tocsr()
        self.compound_t_ = compound.T.tocsr()
        if self.embedder is not None and self.weights.get("embedding", 0) > 0:
            self.vectors_ = (
                vectors
                if vectors is not None
                else self.embedder.encode(self.titles_, "query", batch_size=TITLE_BATCH)
            )
        else:
            self.vectors_ = None
        self.profiles_ = (
            self.occupations.profiles(list(titles)) if self.occupations is not None else None
        )
        return self

    def clean(self, queries: Sequence[str]) -> list[str]:
        out = []
        for q in queries:
            cleaned = clean_title(q)
            if not any(len(w) >= 2 for w in _words(cleaned)):
                raise EmptyTitleError(f"no job title in {q!r}")
            out.append(cleaned)
        return out

    def signal_scores(
        self, queries: Sequence[str], signals: Sequence[str] = SIGNALS
    ) -> dict[str, np.ndarray | sparse.csr_matrix]:
        """Raw cosine scores per signal, each (n_queries, n_corpus); `compound` is sparse."""
        q = self.clean(queries)
        out: dict[str, np.ndarray] = {}
        if "char" in signals:
            # ~95% of the products are non-zero (short n-grams are shared): dense at once
            out["char"] = dense(transform(q) @ self.char_t_)
        if "compound" in signals:
            out["compound"] = self.compound_.transform(q) @ self.compound_t_
        if "embedding" in signals and self.vectors_ is not None:
            out["embedding"] = (
                self.embedder.encode(q, "query", batch_size=TITLE_BATCH) @ self.vectors_.T
            )
        if "taxonomy" in signals and self.profiles_ is not None:
            out["taxonomy"] = (
                self.occupations.profiles(list(queries)) @ self.profiles_.T
            ).toarray()
        return out

    def scores(self, queries: Sequence[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """Fused scores: weighted sum of per-query standardised signals."""
        weights = weights or self.weights
        raw = self.signal_scores(queries, [s for s, w in weights.items() if w > 0])
        return fuse(raw, weights)

    def rank(self, queries: Sequence[str], top: int = 100) -> list[Ranked]:
        """The `top` corpus ids per query with their fused scores, best first."""
        s = self.scores(queries)
        top = min(top, s.shape[1])
        idx = np.argsort(-s, axis=1, kind="stable")[:, :top]
        return [Ranked([self.ids_[j] for j in row], s[i, row]) for i, row in enumerate(idx)]


STATS_SAMPLE = 4096  # wide corpora: per-row mean and std estimated on this many columns
_SAMPLE_SEED = 0


def dense(scores) -> np.ndarray:
    """A score matrix as a dense float32 array."""
    return scores.toarray() if sparse.issparse(scores) else np.asarray(scores, np.float32)


def row_stats(scores) -> tuple[np.ndarray, np.ndarray]:
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


def fuse(raw: dict, weights: dict[str, float]) -> np.ndarray:
    """Weighted sum of per-row standardised signals; sparse signals are added sparsely.

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
        mean, std = row_stats(raw[s])
        scale = np.float32(weights[s]) / std
        offset += scale * mean
        if sparse.issparse(raw[s]):
            coo = raw[s].tocoo()  # from CSR: no duplicate entries, so += is exact
            total[coo.row, coo.col] += coo.data * scale[coo.row]
        else:
            total += raw[s] * scale[:, None]
    total -= offset[:, None]
    return total
