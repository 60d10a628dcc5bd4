"""Geometry for the workspace's small charts, drawn as inline SVG by the templates: the
per-criterion waterfall of a score, and the map of the arbeidsmarktregio's from the shipped
PC4 centroids."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from matching.geo import geography
from matching.labour_market import TENSION_CLASSES

# UWV's five classes, from zeer ruim to zeer krap; text colour chosen for AA contrast.
CLASS_COLOURS = dict(
    zip(
        TENSION_CLASSES,
        (
            ("#d7ecf7", "#0b2530"),
            ("#8cc4e0", "#0b2530"),
            ("#f1e3a0", "#222222"),
            ("#e8925c", "#1a0d05"),
            ("#a8321b", "#ffffff"),
        ),
        strict=True,
    )
)
NO_DATA = ("#ffffff", "#444444")


@dataclass(frozen=True)
class Step:
    """One bar of a waterfall: label, value, and where it starts and ends (0-1 of the width)."""

    label: str
    value: float
    start: float
    end: float
    kind: str  # "base", "up", "down" or "total"

    @property
    def x(self) -> float:
        return min(self.start, self.end)

    @property
    def width(self) -> float:
        return max(abs(self.end - self.start), 0.004)


def waterfall(base: float, contributions: list[tuple[str, float]], total: float) -> list[Step]:
    """Bars from the typical candidate's score, one per criterion that moved it, to the score;
    scaled so that every running total fits between 0 and 1."""
    moves = [(name, c) for name, c in contributions if abs(c) >= 0.005]
    running = [0.0, base]
    for _, c in moves:
        running.append(running[-1] + c)
    low, high = min([*running, total]), max([*running, total])
    span = (high - low) or 1.0

    def at(v: float) -> float:
        return (v - low) / span

    steps = [Step("typische kandidaat", base, at(0.0), at(base), "base")]
    level = base
    for name, c in moves:
        steps.append(Step(name, c, at(level), at(level + c), "up" if c > 0 else "down"))
        level += c
    steps.append(Step("score", total, at(0.0), at(total), "total"))
    return steps


def score_share(score: float, scores: list[float]) -> float:
    """The width of a score bar: the score's place between the list's lowest and highest."""
    low, high = min([*scores, 0.0]), max([*scores, 0.0])
    return 1.0 if high == low else max(0.02, (score - low) / (high - low))


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float


@lru_cache(maxsize=1)
def region_points(width: float = 420.0) -> tuple[float, dict[str, list[MapPoint]]]:
    """Every PC4 centroid projected (equirectangular at the country's latitude), by region:
    (the map's height, points per region code)."""
    geo = geography()
    table = geo.table
    lat, lon = table["lat"].to_list(), table["lon"].to_list()
    scale_x = math.cos(math.radians(52.2))
    west, east = min(lon) - 0.05, max(lon) + 0.05
    south, north = min(lat) - 0.05, max(lat) + 0.05
    per_degree = width / ((east - west) * scale_x)
    height = (north - south) * per_degree
    points: dict[str, list[MapPoint]] = {}
    for la, lo, region in zip(lat, lon, geo.region_codes, strict=True):
        point = MapPoint(
            round((lo - west) * scale_x * per_degree, 1), round((north - la) * per_degree, 1)
        )
        points.setdefault(str(region), []).append(point)
    return round(height, 1), points


def colours(tension_class: str | None) -> tuple[str, str]:
    """(fill, text) colour of a UWV class."""
    return CLASS_COLOURS.get(tension_class or "", NO_DATA)
