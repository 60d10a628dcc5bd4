"""The Werkplein's indicators as a report: Markdown tables and bar plots (aggregates only)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from eval.plots import bar_plot
from matching.indicators import indicators
from matching.records import Kind
from matching.service import Matcher
from matching.store import Store

TITLES = {
    "arbeidsuitstroom": "Uitstroom naar werk per maand, regio en segment",
    "time_to_fill": "Mediane doorlooptijd vacature (dagen, plaatsing via werkmatch)",
    "candidates": "Aandeel open vacatures met minstens 5 passende kandidaten",
    "target_groups": "Uitstroom naar werk van doelgroepen",
}


def segments_of(matcher: Matcher, store: Store) -> dict[str, str]:
    """Everyone's segment (the werkcoach's override if any), or none without a risk model."""
    if matcher.risk.served is None:
        return {}
    return {j: s["segment"] for j, s in matcher.segments(store.ids(Kind.JOBSEEKERS)).items()}


def write_indicator_report(
    matcher: Matcher, folder: Path, region: str | None = None, period: str | None = None
) -> dict[str, pl.DataFrame]:
    """report.md and one PNG per indicator in `folder`; returns the tables."""
    segments = segments_of(matcher, matcher.store)
    k = matcher.settings.indicator_min_cell
    tables = indicators(matcher.store, segments, k, region, period)
    folder.mkdir(parents=True, exist_ok=True)
    _plots(tables, folder)
    lines = [f"# Indicatoren ({region or 'alle regio’s'}, {period or 'alle perioden'})", ""]
    lines.append(f"Cellen met minder dan {k} personen of vacatures zijn onderdrukt.")
    for name, table in tables.items():
        lines += ["", f"## {TITLES[name]}", "", f"![{name}]({name}.png)", ""]
        lines += _markdown_table(table)
    (folder / "report.md").write_text("\n".join(lines) + "\n")
    return tables


def _plots(tables: dict[str, pl.DataFrame], folder: Path) -> None:
    shown = {n: t.filter(~pl.col("suppressed")) for n, t in tables.items()}
    by_month = shown["arbeidsuitstroom"].group_by("month").agg(pl.col("exits").sum()).sort("month")
    bar_plot(
        dict(by_month.iter_rows()),
        TITLES["arbeidsuitstroom"],
        "uitstroom",
        folder / "arbeidsuitstroom.png",
    )
    for name, value in (("time_to_fill", "median_days"), ("candidates", "share")):
        t = shown[name]
        bar_plot(
            dict(zip(t["region"], t[value], strict=True)),
            TITLES[name],
            value,
            folder / f"{name}.png",
        )
    groups = (
        shown["target_groups"].group_by("group").agg(pl.col("exits").sum() / pl.col("people").sum())
    )
    bar_plot(
        dict(groups.iter_rows()), TITLES["target_groups"], "aandeel", folder / "target_groups.png"
    )


def _markdown_table(table: pl.DataFrame, rows: int = 60) -> list[str]:
    head = table.head(rows)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    for row in head.iter_rows():
        cells = ["–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    if table.height > rows:
        lines.append(f"\n({table.height - rows} rijen meer in de JSON-uitvoer)")
    return lines
