"""Ranking job titles against a corpus of titles: three signals, fused.

- `embedding`: the multilingual e5 model, `query:` on both sides (a symmetric task).
- `char`: character 2-4-gram TF-IDF (robust to typos and inflection).
- `compound`: word TF-IDF after splitting Dutch compounds against a vocabulary of known
  words ("heftruckchauffeur" -> heftruck + chauffeur), with the head (last part) repeated,
  since in Dutch the head says what the job is.

Each signal's scores are standardised per query (z-scores over the corpus) and summed with
weights chosen on the development benchmark (`werkmatch title-benchmark`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.lexical import clean_title, vectorizer

SIGNALS = ("embedding", "char", "compound")
# Chosen on the development benchmark by `werkmatch title-benchmark` (grid over the simplex).
DEFAULT_WEIGHTS = {"embedding": 0.5, "char": 0.3, "compound": 0.2}
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
        self, embedder=None, weights: dict[str, float] | None = None, vocabulary: Iterable[str] = ()
    ) -> None:
        self.embedder = embedder
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        self._extra_vocab = list(vocabulary)

    def fit(
        self, ids: Sequence[str], titles: Sequence[str], vectors: np.ndarray | None = None
    ) -> TitleRanker:
        """Index a corpus; `vectors` may carry precomputed `query:` embeddings of the titles."""
        self.ids_ = list(ids)
        self.titles_ = [clean_title(t) or t.lower() for t in titles]
        vocab = {w for t in self.titles_ for w in _words(t)} | set(self._extra_vocab)
        self.decompounder_ = Decompounder(vocab)
        self.compound_ = TfidfVectorizer(analyzer=self.decompounder_.analyse, sublinear_tf=True)
        self.compound_matrix_ = self.compound_.fit_transform(self.titles_)
        self.char_matrix_ = vectorizer().transform(self.titles_)
        if self.embedder is not None and self.weights.get("embedding", 0) > 0:
            self.vectors_ = (
                vectors if vectors is not None else self.embedder.encode(self.titles_, "query")
            )
        else:
            self.vectors_ = None
        return self

    def clean(self, queries: Sequence[str]) -> list[str]:
        out = []
        for q in queries:
            cleaned = clean_title(q)
            if not cleaned or not _WORD.search(cleaned):
                raise EmptyTitleError(f"no job title in {q!r}")
            out.append(cleaned)
        return out

    def signal_scores(
        self, queries: Sequence[str], signals: Sequence[str] = SIGNALS
    ) -> dict[str, np.ndarray]:
        """Raw cosine scores per signal, each (n_queries, n_corpus)."""
        q = self.clean(queries)
        out: dict[str, np.ndarray] = {}
        if "char" in signals:
            out["char"] = (vectorizer().transform(q) @ self.char_matrix_.T).toarray()
        if "compound" in signals:
            out["compound"] = (self.compound_.transform(q) @ self.compound_matrix_.T).toarray()
        if "embedding" in signals and self.vectors_ is not None:
            out["embedding"] = self.embedder.encode(q, "query") @ self.vectors_.T
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


def standardise(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.where(std > 0, std, 1.0)


def fuse(raw: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted sum of standardised signal scores (signals absent from `raw` are skipped)."""
    used = [s for s in raw if weights.get(s, 0) > 0]
    if not used:
        raise ValueError("no signal with a positive weight")
    return sum(weights[s] * standardise(raw[s]) for s in used)
