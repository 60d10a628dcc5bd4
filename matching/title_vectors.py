"""Title vectors kept on disk per model, addressed by the title's text.

A corpus of titles (ESCO's labels, a benchmark's documents, an employer's title list) is
encoded once per model: each title's `query:` vector is stored under a hash of its cleaned
text in `titles-<model>.npz` beside the other caches, so a corpus that shares titles with an
earlier one encodes only the new titles, and a changed model (another id) starts afresh.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.embedder import TITLE_BATCH, model_slug

log = logging.getLogger("werkmatch")


def title_key(title: str) -> bytes:
    """A 16-byte content hash of a (cleaned) title."""
    return hashlib.blake2b(title.encode("utf-8"), digest_size=16).digest()


class TitleVectorCache:
    """`query:` vectors of titles for one embedder, loaded from and saved to one file."""

    def __init__(self, embedder, folder: Path) -> None:
        self.embedder = embedder
        self.path = folder / f"titles-{model_slug(embedder.model_id)}.npz"
        self._rows: dict[bytes, int] = {}
        self._vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        with np.load(self.path) as data:
            keys, vectors = data["keys"], data["vectors"]
        if vectors.shape[1:] != (self.embedder.dim,) or keys.shape != (len(vectors), 16):
            log.warning("title vector cache %s does not fit the model: rebuilt", self.path.name)
            return
        self._rows = {k.tobytes(): i for i, k in enumerate(keys)}
        self._vectors = vectors

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, titles: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors computed elsewhere (e.g. the ESCO label cache) for new titles."""
        keys = [title_key(t) for t in titles]
        new = {k: i for i, k in enumerate(keys) if k not in self._rows}
        if new:
            start = len(self._vectors)
            self._vectors = np.concatenate([self._vectors, vectors[list(new.values())]])
            self._rows.update({k: start + n for n, k in enumerate(new)})
            self._save()

    def vectors(self, titles: Sequence[str]) -> np.ndarray:
        """The vectors of `titles` (already cleaned), encoding and storing the new ones."""
        keys = [title_key(t) for t in titles]
        missing = {k: t for k, t in zip(keys, titles, strict=True) if k not in self._rows}
        if missing:
            log.info("encoding %d new titles (cached in %s)", len(missing), self.path.name)
            new = self.embedder.encode(list(missing.values()), "query", batch_size=TITLE_BATCH)
            start = len(self._vectors)
            self._vectors = np.concatenate([self._vectors, new.astype(np.float32)])
            self._rows.update({k: start + i for i, k in enumerate(missing)})
            self._save()
        return self._vectors[[self._rows[k] for k in keys]]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ordered = sorted(self._rows, key=self._rows.get)
        keys = np.frombuffer(b"".join(ordered), dtype=np.uint8).reshape(len(ordered), 16)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")  # processes may save at once
        np.savez(tmp, keys=keys, vectors=self._vectors)
        tmp.replace(self.path)
