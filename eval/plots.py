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


def calibration_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> Path:
    """Reliability diagram: observed share against mean predicted risk in ten bins of
    predicted risk, one line per named (predicted, observed) pair."""
    with figure(path, figsize=(5.5, 5)) as (_, ax):
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="perfect")
        for name, (pred, obs) in curves.items():
            pred, obs = np.asarray(pred, float), np.asarray(obs, float)
            bins = np.minimum((pred * 10).astype(int), 9)
            used = [b for b in range(10) if np.any(bins == b)]
            x = [pred[bins == b].mean() for b in used]
            y = [obs[bins == b].mean() for b in used]
            ax.plot(x, y, marker="o", label=name)
        ax.set_xlabel("voorspeld risico (nog werkloos na 12 maanden)")
        ax.set_ylabel("waargenomen aandeel")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
        ax.set_title("Kalibratie op de testset")
    return path


def bar_plot(values: dict[str, float], title: str, ylabel: str, path: Path) -> Path:
    """One bar per label (suppressed cells left out by the caller)."""
    with figure(path, figsize=(max(5, len(values) * 0.45), 3.5)) as (_, ax):
        ax.bar(list(values), list(values.values()), color="#4c72b0")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
        ax.tick_params(axis="x", labelsize=7, rotation=60)
    return path
