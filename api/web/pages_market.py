"""The labour-market page: tension per arbeidsmarktregio and occupation group as a heatmap
and a map of the 35 regions drawn from the shipped PC4 geography, with UWV's classes, and the
open vacancies with the fewest suitable candidates. Counts only, no person."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.auth import Permission
from api.deps import MatcherDep
from api.web.charts import CLASS_COLOURS, colours, region_points
from api.web.render import page
from api.web.session import PREFIX, Caller, page_for
from matching.errors import InvalidInputError
from matching.geo import geography
from matching.labour_market import tension_class
from matching.records import Kind
from matching.scarcity import fewest_candidates
from matching.service import Matcher

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Analyst = Annotated[Caller, Depends(page_for(Permission.LABOUR_MARKET))]
SCARCITY_MAX_AGE = 60.0  # seconds; like the tension figures, recomputed at most once a minute


class ScarcityCache:
    """The fewest-candidates list, recomputed when the store changed, at most once a minute."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[float, tuple[int, int], list[dict]] | None = None

    def get(self, matcher: Matcher) -> list[dict]:
        changes = matcher.store.changes
        key = (changes.revision(Kind.JOBSEEKERS), changes.revision(Kind.VACANCIES))
        with self._lock:
            value = self._value
            fresh = value and (value[1] == key or time.monotonic() - value[0] < SCARCITY_MAX_AGE)
            if fresh:
                return value[2]
            rows = fewest_candidates(matcher.context())
            self._value = (time.monotonic(), key, rows)
            return rows


def _cells(table: pl.DataFrame) -> dict[tuple[str, str], dict]:
    return {(r["region"], r["group"]): r for r in table.to_dicts()}


def _per_region(table: pl.DataFrame) -> dict[str, dict]:
    """Tension of each region over the chosen groups (UWV's formula on the summed counts)."""
    sums = table.group_by("region").agg(pl.col("vacancies").sum(), pl.col("short_unemployed").sum())
    out = {}
    for r in sums.to_dicts():
        tension = (r["vacancies"] + 0.5) / (r["short_unemployed"] + 0.5)
        out[r["region"]] = r | {"tension": tension, "class": tension_class(tension)}
    return out


@router.get("/arbeidsmarkt", response_class=HTMLResponse)
def labour_market(request: Request, matcher: MatcherDep, caller: Analyst) -> HTMLResponse:
    table = matcher.market().table
    group = request.query_params.get("beroepsgroep", "").strip()
    groups = (
        table.filter(pl.col("vacancies") > 0)
        .select("group", "group_label")
        .unique()
        .sort("group")
        .rows()
    )
    if group and group not in {g for g, _ in groups}:
        raise InvalidInputError("kies een beroepsgroep uit de lijst", "beroepsgroep")
    chosen = table.filter(pl.col("group") == group) if group else table
    geo = geography()
    height, points = region_points()
    regions = sorted(geo.region_names.items())
    scarce = request.app.state.scarcity.get(matcher)
    context = {
        "groups": groups,
        "group": group,
        "group_label": dict(groups).get(group),
        "regions": regions,
        "cells": _cells(table),
        "per_region": _per_region(chosen),
        "points": points,
        "map_height": height,
        "colours": colours,
        "legend": CLASS_COLOURS,
        "scarce": scarce,
    }
    return page(request, "arbeidsmarkt.html", caller, **context)
