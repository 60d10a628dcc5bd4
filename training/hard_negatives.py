"""Hard negatives for the embedder's pairs, mined with the base model.

Occupations are compared by the centroid of their label vectors; an occupation's negatives
are its nearest others outside its ISCO unit group (near-synonyms in one unit are not pushed
apart), never held out, and never a label of an occupation that shares a label text with
the anchor's.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 5  # hard negatives are drawn from this many nearest other occupations


def neighbours(
    centroids: np.ndarray, isco: np.ndarray, allowed: np.ndarray, k: int = NEIGHBOURS
) -> np.ndarray:
    """For each occupation, its k nearest allowed occupations outside its ISCO unit group."""
    sims = centroids @ centroids.T
    sims[isco[:, None] == isco[None, :]] = -np.inf  # same unit (and itself)
    sims[:, ~allowed] = -np.inf
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def occupation_centroids(label_vectors: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Mean label vector per occupation, unit length."""
    sums = np.zeros((n, label_vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, label_vectors)
    sums /= np.linalg.norm(sums, axis=1, keepdims=True)
    return sums.astype(np.float32)


def pick_negatives(
    near: np.ndarray,
    title: list[str],
    isco: np.ndarray,
    unit_texts: dict,
    own_texts: dict[int, set[str]],
    forbidden: set,
    rng,
) -> np.ndarray:
    """A neighbour per occupation (-1: none) whose title is no label of any occupation in
    the anchor's ISCO unit group (ESCO shares label texts), no held-out label, and no label
    of an occupation that shares a label text with the anchor's occupation (so no
    occupation holds both a positive and its negative)."""
    owners: dict[str, set[int]] = {}
    for i, texts in own_texts.items():
        for text in texts:
            owners.setdefault(text, set()).add(i)
    out = np.full(len(near), -1, dtype=np.int64)
    for i, row in enumerate(near):
        related = set().union(*(owners[t] for t in own_texts.get(i, ())), {i})
        ok = [
            j
            for j in row
            if title[j] not in unit_texts[isco[i]]
            and title[j] not in forbidden
            and not owners.get(title[j], {j}) & related
        ][:NEIGHBOURS]
        if ok:
            out[i] = ok[rng.integers(len(ok))]
    return out
