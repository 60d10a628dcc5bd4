"""Which embedder a data directory uses, built from the settings."""

from __future__ import annotations

from matching.config import Settings
from models.embedder import Embedder, ensure_model


def load_embedder(settings: Settings, batch_size: int | None = None) -> Embedder:
    """The embedding model of the settings (converted on first use)."""
    return Embedder(
        ensure_model(settings.embedding_model_dir),
        batch_size or settings.embed_batch_size,
        settings.torch_threads,
        settings.embed_precision,
    )
