"""Open vacancies with the fewest suitable candidates: jobseekers who pass the vacancy's hard
filters (the same vectorised filters as a shortlist) and want work in the vacancy's occupation
group (ISCO sub-major group, trusted mappings only). No person is named; only counts."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from matching.geo import geography
from matching.labour_market import occupation_group
from matching.occupations import LOW_CONFIDENCE
from matching.query import QueryContext, eligible
from matching.records import Kind
from matching.schema import TABLES


def _groups_by_rowid(ctx: QueryContext, kind: Kind) -> dict[int, str]:
    """The occupation group of every record of a kind whose mapping is trusted."""
    t = TABLES[kind]
    stmt = select(t.c.rowid, t.c.occupation_uri).where(t.c.occupation_confidence >= LOW_CONFIDENCE)
    with ctx.store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {rowid: g for rowid, uri in rows if (g := occupation_group(uri)) is not None}


def fewest_candidates(ctx: QueryContext, limit: int = 15) -> list[dict[str, object]]:
    """The open vacancies with the fewest suitable candidates, fewest first."""
    people = _groups_by_rowid(ctx, Kind.JOBSEEKERS)
    size = max(people, default=0) + 1
    codes = sorted(set(people.values()))
    index = {g: i for i, g in enumerate(codes)}
    group_of = np.full(size, -1, dtype=np.int32)  # rowid -> group number (-1: unknown)
    for rowid, g in people.items():
        group_of[rowid] = index[g]
    vacancy_groups = _groups_by_rowid(ctx, Kind.VACANCIES)
    geo, out = geography(), []
    for rowid, v in ctx.store.iter_records(Kind.VACANCIES):
        if v.status.value != "open" or rowid not in vacancy_groups:
            continue
        found = eligible(ctx, v).rowids
        wanted = index.get(vacancy_groups[rowid], -2)
        suitable = int(np.count_nonzero(group_of[found[found < size]] == wanted))
        region = geo.region_of(v.postcode)
        out.append(
            {
                "id": v.id,
                "title": v.title,
                "employer": v.employer,
                "region": region,
                "region_name": geo.region_names.get(region),
                "group": vacancy_groups[rowid],
                "eligible": len(found),
                "suitable": suitable,
            }
        )
    out.sort(key=lambda r: (r["suitable"], r["eligible"], r["id"]))
    return out[:limit]
