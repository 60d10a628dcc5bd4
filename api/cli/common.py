"""What the command modules share: the matcher on the configured data directory, and
argument types."""

from __future__ import annotations

import argparse

from matching.config import get_settings


def processes(text: str) -> int:
    """An argument counting server processes: at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def open_matcher():
    """A Matcher on the data directory of the settings (environment variables); an embedder
    switch it makes retrains a ranker trained on the old model's similarities."""
    from matching.service import Matcher
    from training.bootstrap import ranker_follows_switches

    return ranker_follows_switches(Matcher(get_settings()))


def named_or_served_embedder(version: str | None = None):
    """The served embedder, or a named one: `base` or a registered version."""
    from matching.embedders import load_embedder, named_embedder

    s = get_settings()
    return load_embedder(s, batch_size=128, ref=named_embedder(s, version) if version else None)
