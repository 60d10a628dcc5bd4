"""Free-text job titles to ESCO occupations (and so ISCO groups), with a confidence.

All ~22,800 Dutch ESCO labels (preferred and alternative) are embedded once per model and
cached beside the model folder. A title is scored against every label with the fused title
signals; an occupation scores as its best label. Confidence is the softmax share of the best
occupation among the ten best: a clear winner is trusted, a close call is flagged.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from matching.fifo import FifoCache
from matching.lexical import cleaned_title
from matching.records import UNKNOWN_OCCUPATION, Jobseeker, Occupation, Vacancy
from matching.taxonomy import taxonomy
from matching.titles import EmptyTitleError, TitleRanker, dense, fuse
from models.embedder import TITLE_BATCH, model_slug

log = logging.getLogger("werkmatch")

LOW_CONFIDENCE = 0.35  # below: stored but flagged, not trusted by features
# No occupation when no label shares a whole word (or compound part) with the title, its
# character n-grams barely overlap, and the embedding is no closer than nonsense gets.
NO_MATCH = {"compound": 0.0, "char": 0.5, "embedding": 0.92}


def _no_match(best: dict[str, float]) -> bool:
    return all(best.get(name, 0.0) <= limit for name, limit in NO_MATCH.items())


TOP = 10
CACHE_SIZE = 200_000  # normalised titles kept per index


@dataclass(frozen=True)
class OccupationMatch:
    """The best ESCO occupation for a title."""

    uri: str
    label: str
    isco: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]

    @property
    def trusted(self) -> bool:
        return self.confidence >= LOW_CONFIDENCE


def esco_labels() -> tuple[list[str], np.ndarray]:
    """Every Dutch ESCO label (preferred first, then alternatives), and its occupation's
    position in `taxonomy().occupations`; labels are listed occupation by occupation."""
    labels, owner = [], []
    for i, occ in enumerate(taxonomy().occupations.values()):
        for label in (occ.label, *occ.alt_labels):
            labels.append(label)
            owner.append(i)
    return labels, np.asarray(owner)


def label_vectors(embedder, cache_dir: Path | None = None) -> np.ndarray:
    """`query:` vectors of `esco_labels()` (cleaned), embedded once per model and cached.

    Processes that need them at once (a server and a set-up, test workers) take a file lock:
    one embeds the labels (about a minute with e5 on 2 cores), the others wait and read them.
    """
    labels, _ = esco_labels()
    folder = cache_dir or Path(embedder.model_dir).parent / "cache"
    path = folder / f"esco-{model_slug(embedder.model_id)}.npy"
    shape = (len(labels), embedder.dim)
    vectors = _cached_vectors(path, shape)
    if vectors is not None:
        return vectors
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        vectors = _cached_vectors(path, shape)  # another process may have built them
        if vectors is None:
            log.info("embedding %d ESCO labels once (cached in %s)", len(labels), path)
            vectors = _embedded_once_each([cleaned_title(t) for t in labels], embedder)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
    return vectors


def _embedded_once_each(texts: list[str], embedder) -> np.ndarray:
    """`query:` vectors of `texts`, each distinct text embedded once (a tenth of the ESCO
    labels repeat another's cleaned form)."""
    distinct = list(dict.fromkeys(texts))
    position = {text: i for i, text in enumerate(distinct)}
    vectors = embedder.encode(distinct, "query", progress=True, batch_size=TITLE_BATCH)
    return vectors[[position[text] for text in texts]]


def _cached_vectors(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The cached label vectors at `path` if they have `shape`, else None."""
    if not path.exists():
        return None
    vectors = np.load(path)
    return vectors if vectors.shape == shape else None


class OccupationIndex:
    """ESCO labels, their occupations and vectors; maps titles to occupations."""

    def __init__(
        self, embedder, cache_dir: Path | None = None, without: frozenset[str] = frozenset()
    ) -> None:
        """`without`: cleaned label texts to leave out (an evaluation's held-out titles)."""
        tax = taxonomy()
        self.uris = list(tax.occupations)
        labels, owner = esco_labels()
        vectors = label_vectors(embedder, cache_dir)
        keep = np.array([cleaned_title(t) not in without for t in labels], bool)
        self.labels, self.owner = [t for t, k in zip(labels, keep, strict=True) if k], owner[keep]
        vectors = vectors[keep]
        self.isco = np.array([o.isco for o in tax.occupations.values()])
        self.ranker = TitleRanker(embedder).fit(
            [str(i) for i in range(len(self.labels))], self.labels, vectors=vectors
        )
        # label -> occupation incidence, for max-pooling label scores per occupation; labels
        # are listed occupation by occupation, so pooling needs no reordering
        assert np.all(np.diff(self.owner) >= 0)
        self._starts = np.flatnonzero(np.r_[True, np.diff(self.owner) != 0])
        self._present = self.owner[self._starts]  # occupations with a label left
        self._hierarchy = self._hierarchy_matrix()
        self._cache: FifoCache[str, OccupationMatch | None] = FifoCache(CACHE_SIZE)

    def _hierarchy_matrix(self) -> sparse.csr_matrix:
        """occupation -> [occupation, ISCO unit, ISCO minor] indicator, weighted 1, .6, .3."""
        units = {c: i for i, c in enumerate(sorted(set(self.isco)))}
        minors = {c: i for i, c in enumerate(sorted({c[:3] for c in self.isco}))}
        n, nu = len(self.uris), len(units)
        rows, cols, vals = [], [], []
        for i, code in enumerate(self.isco):
            rows += [i, i, i]
            cols += [i, n + units[code], n + nu + minors[code[:3]]]
            vals += [1.0, 0.6, 0.3]
        return sparse.csr_matrix((vals, (rows, cols)), shape=(n, n + nu + len(minors)))

    def _pool(self, scores: np.ndarray) -> np.ndarray:
        pooled = np.maximum.reduceat(scores, self._starts, axis=1)
        if len(self._present) == len(self.uris):
            return pooled
        full = np.full((len(scores), len(self.uris)), -np.inf, dtype=pooled.dtype)
        full[:, self._present] = pooled
        return full

    def occupation_scores(
        self, titles: list[str], vectors: np.ndarray | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fused score per occupation (n_titles, n_occupations), and each signal's best label;
        `vectors`: the titles' `query:` embeddings, when the caller has them."""
        raw = self.ranker.signal_scores(titles, vectors=vectors)
        best = {name: dense(values.max(axis=1)).ravel() for name, values in raw.items()}
        return self._pool(fuse(raw, self.ranker.weights)), best

    def normalise(self, titles: list[str], chunk: int = 128) -> list[OccupationMatch | None]:
        """Best occupation per title, or None when nothing in ESCO resembles it.

        Titles recur (bulk ingests repeat the same few thousand), so results are kept in a
        bounded cache: each distinct title is scored once per process.
        """
        todo = [t for t in dict.fromkeys(titles) if t not in self._cache]
        for i in range(0, len(todo), chunk):  # bounded, cache-sized score matrices
            part = todo[i : i + chunk]
            for title, match in zip(part, self._score(part), strict=True):
                self._cache[title] = match
        return [self._cache[t] for t in titles]

    def _score(self, titles: list[str]) -> list[OccupationMatch | None]:
        pooled, signals = self.occupation_scores(titles)
        out: list[OccupationMatch | None] = []
        tax = taxonomy()
        for i in range(len(titles)):
            top = np.argpartition(-pooled[i], TOP)[:TOP]
            top = top[np.argsort(-pooled[i, top])]
            share = np.exp(pooled[i, top] - pooled[i, top].max())
            share /= share.sum()
            best = int(top[0])
            if _no_match({name: float(v[i]) for name, v in signals.items()}):
                out.append(None)
                continue
            occ = tax.occupations[self.uris[best]]
            out.append(
                OccupationMatch(
                    uri=occ.uri,
                    label=occ.label,
                    isco=occ.isco,
                    confidence=float(share[0]),
                    alternatives=tuple(
                        (self.uris[int(j)], float(s))
                        for j, s in zip(top[1:4], share[1:4], strict=True)
                    ),
                )
            )
        return out

    def profiles(
        self, titles: list[str], vectors: np.ndarray | None = None, chunk: int = 512
    ) -> sparse.csr_matrix:
        """Unit-norm vectors over occupations and ISCO groups (softmax over the top ten),
        scored `chunk` titles at a time so that wide corpora keep small score matrices."""
        parts = [
            self._profiles(
                titles[i : i + chunk], None if vectors is None else vectors[i : i + chunk]
            )
            for i in range(0, len(titles), chunk)
        ]
        return sparse.vstack(parts, format="csr") if parts else self._hierarchy[:0]

    def _profiles(self, titles: list[str], vectors: np.ndarray | None) -> sparse.csr_matrix:
        pooled, _ = self.occupation_scores(titles, vectors)
        n = len(titles)
        top = np.argpartition(-pooled, TOP - 1, axis=1)[:, :TOP]  # order inside: irrelevant
        weights = np.exp(np.take_along_axis(pooled, top, 1) - pooled.max(1, keepdims=True))
        weights /= weights.sum(1, keepdims=True)
        dist = sparse.csr_matrix(
            (weights.ravel(), (np.repeat(np.arange(n), TOP), top.ravel())),
            shape=(n, len(self.uris)),
        )
        prof = dist @ self._hierarchy
        norms = np.sqrt(prof.multiply(prof).sum(1)).A.ravel()
        return sparse.diags(1 / np.maximum(norms, 1e-12)) @ prof


def safe_normalise(index: OccupationIndex, titles: list[str]) -> list[OccupationMatch | None]:
    """Like `normalise`, but titles without any words give None instead of an error."""
    out: list[OccupationMatch | None] = [None] * len(titles)
    keep = []
    for i, t in enumerate(titles):
        try:
            index.ranker.clean([t])
            keep.append(i)
        except EmptyTitleError:
            pass
    if keep:
        for i, m in zip(keep, index.normalise([titles[i] for i in keep]), strict=True):
            out[i] = m
    return out


def inferred_occupations(records: Sequence, index: OccupationIndex) -> dict[str, Occupation]:
    """The occupation per id of the records that gave no ESCO URI, inferred from the title
    (a vacancy's title, a jobseeker's desired occupation); each distinct title once."""
    todo = {}
    for r in records:
        if isinstance(r, Jobseeker) and r.desired_esco_uri is None:
            todo[r.id] = r.desired_occupation
        elif isinstance(r, Vacancy) and r.esco_uri is None:
            todo[r.id] = r.title
    titles = sorted(set(todo.values()))
    found = dict(zip(titles, safe_normalise(index, titles), strict=True))
    return {
        rid: Occupation(m.uri, m.confidence) if (m := found[t]) else UNKNOWN_OCCUPATION
        for rid, t in todo.items()
    }
