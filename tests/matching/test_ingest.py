"""Bulk ingest: CSV, Parquet and JSONL; bad rows reported; nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.exc import OperationalError

from matching.ingest import IngestFileError
from matching.records import Kind
from matching.service import Matcher


def rows() -> list[dict]:
    base = {
        "employer": "Bakkerij Meijer",
        "description": "Bakker voor de nachtploeg.",
        "postcode": "9711",
        "hours_min": 32,
        "hours_max": 40,
    }
    return [
        {**base, "id": "V1", "title": "Bakker", "required_licences": "B"},
        {**base, "id": "V2", "title": "Broodbakker", "postcode": "1004"},  # unknown PC4
        {**base, "id": "V3", "title": "Banketbakker", "hours_min": 40, "hours_max": 20},
        {**base, "id": "V1", "title": "Bakker dubbel"},  # duplicate id
        {**base, "id": "V4", "title": "", "min_education": "master"},  # two bad fields
        {**base, "id": "V5", "title": "Hulpbakker", "required_skills": "deeg kneden; ovens"},
    ]


def write(path: Path, data: list[dict]) -> Path:
    frame = pl.DataFrame(data, infer_schema_length=None)
    if path.suffix == ".csv":
        frame.with_columns(pl.all().cast(pl.Utf8)).write_csv(path)
    elif path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in data) + "\n")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_ingest_reports_bad_rows_and_stores_good_ones(matcher: Matcher, tmp_path: Path, suffix):
    report = matcher.ingest(Kind.VACANCIES, write(tmp_path / f"v{suffix}", rows()), progress=False)
    assert report.rows == 6 and report.stored == 2 and report.bad_rows == 4
    errors = {(e.row, e.field) for e in report.errors}
    assert {(2, "postcode"), (3, "record"), (4, "id"), (5, "title"), (5, "min_education")} <= errors
    assert all(e.reason for e in report.errors)
    assert matcher.store.ids(Kind.VACANCIES) == ["V1", "V5"]
    assert matcher.store.get(Kind.VACANCIES, "V5").required_skills == ["deeg kneden", "ovens"]
    assert len(matcher.serving.indexer.index(Kind.VACANCIES)) == 2


def test_unreadable_files_get_a_clear_error(matcher: Matcher, tmp_path: Path):
    with pytest.raises(IngestFileError, match="unsupported format"):
        matcher.ingest(Kind.VACANCIES, tmp_path / "v.xlsx")
    bad = tmp_path / "v.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(IngestFileError, match="cannot be read"):
        matcher.ingest(Kind.VACANCIES, bad)


def test_failure_half_way_keeps_whole_batches_only(matcher: Matcher, tmp_path: Path, monkeypatch):
    """A crash inside the second batch: the first batch is stored whole, none of the second."""
    from matching import store as store_module

    monkeypatch.setattr(matcher.settings, "ingest_batch", 2)
    good = next(r for r in rows() if r["id"] == "V1")
    data = [{**good, "id": f"W{i}"} for i in range(6)]
    real, seen = store_module._row_of, {"n": 0}

    def crash_on_fourth(record, now, inferred):
        seen["n"] += 1
        if seen["n"] == 4:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(record, now, inferred)

    monkeypatch.setattr(store_module, "_row_of", crash_on_fourth)
    with pytest.raises(OperationalError):
        matcher.ingest(Kind.VACANCIES, write(tmp_path / "v.jsonl", data), progress=False)
    assert matcher.store.ids(Kind.VACANCIES) == ["W0", "W1"]
    monkeypatch.setattr(store_module, "_row_of", real)
    report = matcher.ingest(Kind.VACANCIES, tmp_path / "v.jsonl", progress=False)  # resume
    assert report.stored == 6 and matcher.store.count(Kind.VACANCIES) == 6


def test_store_transaction_is_atomic(matcher: Matcher, monkeypatch):
    import matching.store as store_module
    from tests.factories import vacancy

    real = store_module.bump

    def bump_then_crash(conn, kind):
        real(conn, kind)  # the revision is bumped inside the transaction, then it fails
        raise RuntimeError("crash while writing")

    monkeypatch.setattr(store_module, "bump", bump_then_crash)
    with pytest.raises(RuntimeError):
        matcher.store.upsert([vacancy(id=f"V{i}") for i in range(5)])
    assert matcher.store.count(Kind.VACANCIES) == 0
    assert matcher.store.changes.revision(Kind.VACANCIES) == 0
