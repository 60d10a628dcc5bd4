"""Plots for reports, written as PNG: one place that sets matplotlib up and saves figures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from matching.geo import geography
from matching.labour_market import TENSION_EDGES, Market


@contextmanager
def figure(path: Path, nrows: int = 1, ncols: int = 1, dpi: int = 110, **kw: Any) -> Iterator:
    """`plt.subplots(nrows, ncols, **kw)` off-screen; yields (fig, axes), then lays the
    figure out, writes it to `path` (folders made) and closes it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, **kw)
    try:
        yield fig, axes
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    finally:
        plt.close(fig)


def tension_heatmap(market: Market, path: Path) -> Path:
    """A region x occupation-group heatmap of log tension, written as PNG."""
    t = market.table
    regions = sorted(t["region"].unique().to_list())
    groups = sorted(t["group"].unique().to_list())
    grid = np.full((len(regions), len(groups)), np.nan)
    ri = {r: i for i, r in enumerate(regions)}
    gi = {g: i for i, g in enumerate(groups)}
    for g, r, val in t.select("group", "region", "tension").iter_rows():
        grid[ri[r], gi[g]] = np.log10(val)
    names = geography().region_names
    size = (max(8, len(groups) * 0.3), max(6, len(regions) * 0.25))
    with figure(path, figsize=size, dpi=120) as (fig, ax):
        im = ax.imshow(grid, cmap="RdYlBu_r", vmin=-1.5, vmax=1.5, aspect="auto")
        ax.set_xticks(range(len(groups)), groups, fontsize=7)
        ax.set_yticks(range(len(regions)), [names.get(r, r) for r in regions], fontsize=7)
        ax.set_xlabel("beroepsgroep (ISCO-08, 2 cijfers)")
        ax.set_title("Spanning op de arbeidsmarkt (vacatures / werkzoekenden < 6 mnd, log10)")
        bar = fig.colorbar(im, ax=ax)
        bar.set_ticks([np.log10(e) for e in TENSION_EDGES])
        bar.set_ticklabels([f"{e:g}" for e in TENSION_EDGES])
    return path
