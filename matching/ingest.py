"""Bulk ingest of CSV, Parquet and JSONL files (polars): validate rows, report the bad ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from matching.records import RECORD_CLASS, Jobseeker, Kind, Vacancy, describe_errors

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class IngestFileError(ValueError):
    """The file as a whole cannot be read."""


@dataclass
class RowError:
    """One bad row: its number (1 = first data row), the field and the reason."""

    row: int
    field: str
    reason: str


@dataclass
class IngestReport:
    """What a bulk ingest stored and what it refused."""

    kind: str
    rows: int = 0
    stored: int = 0
    errors: list[RowError] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list, repr=False)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


def read_frame(path: Path) -> pl.DataFrame:
    """Read a CSV, Parquet or JSONL file into a frame of strings, lists and numbers."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestFileError(f"{path.name}: unsupported format (use .csv, .parquet or .jsonl)")
    try:
        if fmt == "csv":
            return pl.read_csv(path, infer_schema=False)
        if fmt == "parquet":
            return pl.read_parquet(path)
        return pl.read_ndjson(path, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise IngestFileError(f"{path.name}: cannot be read: {exc}") from exc


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """Drop empty cells so that defaults apply (CSV has no null)."""
    return {k: v for k, v in row.items() if v is not None and not (isinstance(v, str) and v == "")}


RowCheck = Callable[[Any], str | None]  # a reason to refuse a valid record, or None


def validate_rows(
    kind: Kind,
    rows: Iterable[dict[str, Any]],
    report: IngestReport,
    accept: RowCheck | None = None,
) -> Iterator[Jobseeker | Vacancy]:
    """Yield valid records; append errors for bad rows, repeated ids and rows `accept`
    refuses (a caller's scope: the reason is reported as an error of the row's id)."""
    cls = RECORD_CLASS[kind]
    first_row: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        report.rows += 1
        try:
            record = cls.model_validate(_clean(raw))
        except ValidationError as exc:
            report.errors += [
                RowError(number, e["field"], e["reason"]) for e in describe_errors(exc)
            ]
            continue
        if record.id in first_row:
            report.errors.append(
                RowError(
                    number,
                    "id",
                    f"duplicate id {record.id!r} (first at row {first_row[record.id]})",
                )
            )
            continue
        first_row[record.id] = number
        refused = accept(record) if accept else None
        if refused:
            report.errors.append(RowError(number, "id", refused))
            continue
        yield record
