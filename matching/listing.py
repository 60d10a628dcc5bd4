"""Finding records: paged, filtered and sorted lists of vacancies, and of the jobseekers in a
caseload (name-free: id, occupation, region, phase of unemployment).

The filters run in SQL on the record tables (the JSON fields through SQLAlchemy's portable
JSON accessors, so SQLite and PostgreSQL both work); only the rows of one page are parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from matching.directory import User, caseload_scope
from matching.errors import InvalidInputError
from matching.geo import geography
from matching.labour_market import PHASES, unemployment_phase
from matching.records import RECORD_CLASS, Jobseeker, Kind, Vacancy, from_stored
from matching.schema import TABLES, caseload
from matching.shortlist import occupation_info
from matching.taxonomy import taxonomy

VACANCY_SORTS = ("-posted_date", "posted_date", "title", "-title", "employer", "-employer", "id")
JOBSEEKER_SORTS = ("id", "-id", "months_unemployed", "-months_unemployed", "occupation")
PHASE_MONTHS = ((0, 3), (3, 6), (6, 12), (12, None))  # months unemployed of each of PHASES


@dataclass(frozen=True)
class Page:
    """One page of a list: the rows, how many match in all, and where this page is."""

    rows: list[dict[str, Any]]
    count: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


def _text(table, field: str) -> ColumnElement[str]:
    return table.c.data[field].as_string()


def _contains(column: ColumnElement[str], q: str) -> ColumnElement[bool]:
    return func.lower(column).contains(q.lower(), autoescape=True)


def region_postcodes(region: str) -> list[str]:
    """The PC4 postcodes of an arbeidsmarktregio; InvalidInputError for an unknown one."""
    geo = geography()
    if region not in geo.region_names:
        raise InvalidInputError(f"unknown arbeidsmarktregio {region!r}", "region")
    return [p for p, r in zip(geo.codes, geo.region_codes, strict=True) if r == region]


def occupation_uris(occupation: str) -> list[str]:
    """ESCO URIs meant by an ISCO code (1-4 digits: every occupation in the group) or a URI."""
    occupations = taxonomy().occupations
    if occupation.isascii() and occupation.isdigit() and 1 <= len(occupation) <= 4:
        return [uri for uri, o in occupations.items() if o.isco.startswith(occupation)]
    if occupation in occupations:
        return [occupation]
    raise InvalidInputError("not an ISCO code (1-4 digits) nor a known ESCO URI", "occupation")


def _order(stmt: Select, sort: str, columns: dict[str, ColumnElement[Any]], allowed) -> Select:
    if sort not in allowed:
        raise InvalidInputError(f"sort by one of {', '.join(allowed)}", "sort")
    column = columns[sort.lstrip("-")]
    ordered = column.desc() if sort.startswith("-") else column.asc()
    return stmt.order_by(ordered.nulls_last(), columns["id"])


def _page(store, kind: Kind, stmt: Select, page: int, per_page: int) -> tuple[list, int]:
    """The records of one page of a filtered statement over rowid, data; and the total."""
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    with store.engine.connect() as conn:
        total = conn.execute(counted).scalar_one()
        rows = conn.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    cls = RECORD_CLASS[kind]
    return [(from_stored(cls, r.data), r.occupation_uri) for r in rows], total


def list_vacancies(
    store,
    q: str | None = None,
    region: str | None = None,
    status: str | None = None,
    occupation: str | None = None,
    sort: str = "-posted_date",
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """Vacancies whose title, employer or id contains q, of a region, status and occupation."""
    t = TABLES[Kind.VACANCIES]
    stmt = select(t.c.rowid, t.c.data, t.c.occupation_uri)
    if q:
        stmt = stmt.where(
            _contains(_text(t, "title"), q)
            | _contains(_text(t, "employer"), q)
            | _contains(t.c.id, q)
        )
    if region:
        stmt = stmt.where(t.c.postcode.in_(region_postcodes(region)))
    if status:
        stmt = stmt.where(t.c.is_open.is_(status == "open"))
    if occupation:
        stmt = stmt.where(t.c.occupation_uri.in_(occupation_uris(occupation)))
    columns = {
        "posted_date": _text(t, "posted_date"),
        "title": func.lower(_text(t, "title")),
        "employer": func.lower(_text(t, "employer")),
        "id": t.c.id,
    }
    stmt = _order(stmt, sort, columns, VACANCY_SORTS)
    found, total = _page(store, Kind.VACANCIES, stmt, page, per_page)
    return Page([vacancy_row(v, uri) for v, uri in found], total, page, per_page)


def vacancy_row(v: Vacancy, occupation_uri: str | None) -> dict[str, Any]:
    geo = geography()
    region = geo.region_of(v.postcode)
    return {
        "id": v.id,
        "title": v.title,
        "employer": v.employer,
        "region": region,
        "region_name": geo.region_names.get(region),
        "status": v.status.value,
        "posted_date": v.posted_date,
        "hours_min": v.hours_min,
        "hours_max": v.hours_max,
        "occupation": occupation_info(occupation_uri),
    }


def list_caseload(
    store,
    user: User,
    q: str | None = None,
    region: str | None = None,
    occupation: str | None = None,
    phase: int | None = None,
    sort: str = "id",
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """The jobseekers of a werkcoach's own or team's caseload, without names or contact data."""
    t = TABLES[Kind.JOBSEEKERS]
    served = select(caseload.c.jobseeker_id).where(caseload_scope(user))
    stmt = select(t.c.rowid, t.c.data, t.c.occupation_uri).where(t.c.id.in_(served))
    if q:
        stmt = stmt.where(_contains(t.c.id, q) | _contains(_text(t, "desired_occupation"), q))
    if region:
        stmt = stmt.where(t.c.postcode.in_(region_postcodes(region)))
    if occupation:
        stmt = stmt.where(t.c.occupation_uri.in_(occupation_uris(occupation)))
    if phase is not None:
        low, high = PHASE_MONTHS[phase]
        months = func.coalesce(t.c.months_unemployed, 0)
        stmt = stmt.where(months >= low)
        if high is not None:
            stmt = stmt.where(months < high)
    columns = {
        "id": t.c.id,
        "months_unemployed": t.c.months_unemployed,
        "occupation": func.lower(_text(t, "desired_occupation")),
    }
    stmt = _order(stmt, sort, columns, JOBSEEKER_SORTS)
    found, total = _page(store, Kind.JOBSEEKERS, stmt, page, per_page)
    return Page([jobseeker_row(j, uri) for j, uri in found], total, page, per_page)


def jobseeker_row(j: Jobseeker, occupation_uri: str | None) -> dict[str, Any]:
    geo = geography()
    region = geo.region_of(j.postcode)
    return {
        "id": j.id,
        "desired_occupation": j.desired_occupation,
        "occupation": occupation_info(occupation_uri),
        "region": region,
        "region_name": geo.region_names.get(region),
        "months_unemployed": j.months_unemployed,
        "phase": PHASES[int(unemployment_phase(j.months_unemployed))],
        "hours_per_week": j.hours_per_week,
        "available_from": j.available_from,
    }
