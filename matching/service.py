"""The matching service: store + embedder + indexes composed into the operations users need."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matching.config import Settings
from matching.filters import Overrides, check_pairs
from matching.geo import geography
from matching.indexing import Indexer
from matching.ingest import IngestReport, read_frame, validate_rows
from matching.records import Jobseeker, Vacancy, VacancyStatus
from matching.shortlist import (
    Criterion,
    Match,
    Shortlist,
    explain_filters,
    occupation_info,
    top_passing,
)
from matching.store import Kind, Store, kind_of
from matching.texts import record_text, text_hash
from models.embedder import Embedder, ensure_model

log = logging.getLogger("werkmatch")

INGEST_BATCH = 1000


class NotFoundError(LookupError):
    """A record id that is not in the store."""

    def __init__(self, kind: Kind, record_id: str) -> None:
        super().__init__(
            f"{kind.value[:-1] if kind == Kind.JOBSEEKERS else 'vacancy'} {record_id!r} not found"
        )
        self.kind, self.record_id = kind, record_id


class Matcher:
    """Everything the CLI and the API do, on one data directory."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        settings.ensure_dirs()
        self.settings = settings
        self.store = Store(settings.db_url)
        self.embedder = embedder or Embedder(
            ensure_model(settings.embedding_model_dir),
            settings.embed_batch_size,
            settings.torch_threads,
        )
        self.indexer = Indexer(
            self.store,
            self.embedder,
            settings.indexes_dir,
            exact_max=settings.exact_index_max,
            nprobe=settings.ann_nprobe,
        )

    # ------------------------------------------------------------------ writes
    def upsert(self, records: Sequence[Jobseeker | Vacancy], progress: bool = False) -> list[int]:
        """Store records of one kind, embed changed texts and update the index."""
        if not records:
            return []
        kind = kind_of(records[0])
        rowids = self.store.upsert(records)
        self.indexer.embed_pending(kind, progress=progress)
        self.indexer.sync(kind)
        return rowids

    def delete(self, kind: Kind, record_id: str) -> None:
        """Erase a record, its embeddings and its index entry."""
        if not self.store.delete(kind, record_id):
            raise NotFoundError(kind, record_id)
        self.indexer.sync(kind)

    def get(self, kind: Kind, record_id: str) -> Jobseeker | Vacancy:
        record = self.store.get(kind, record_id)
        if record is None:
            raise NotFoundError(kind, record_id)
        return record

    def ingest(self, kind: Kind, path: Path, progress: bool = True) -> IngestReport:
        """Validate a file, store its good rows in batches of one transaction each, embed."""
        frame = read_frame(path)
        report = IngestReport(kind=kind.value)
        self.ingest_rows(kind, frame.iter_rows(named=True), report, progress)
        return report

    def ingest_rows(self, kind: Kind, rows, report: IngestReport, progress: bool = True) -> None:
        """Store the valid rows of an iterable of dicts, then embed and index them."""
        batch: list[Jobseeker | Vacancy] = []
        for record in validate_rows(kind, rows, report):
            batch.append(record)
            if len(batch) >= INGEST_BATCH:
                self.store.upsert(batch)
                report.stored += len(batch)
                batch = []
        if batch:
            self.store.upsert(batch)
            report.stored += len(batch)
        self.indexer.embed_pending(kind, progress=progress)
        self.indexer.sync(kind)

    def prepare(self, progress: bool = True) -> dict[str, int]:
        """Embed whatever is pending and bring both indexes up to date."""
        done = {}
        for kind in Kind:
            done[kind.value] = self.indexer.embed_pending(kind, progress=progress)
            self.indexer.index(kind)
        return done

    # ------------------------------------------------------------------- reads
    def shortlist(
        self, vacancy_id: str, k: int = 20, overrides: Overrides | None = None
    ) -> Shortlist:
        """The best jobseekers for a vacancy among those that pass the hard filters."""
        vacancy = self.get(Kind.VACANCIES, vacancy_id)
        eligible = self.indexer.table(Kind.JOBSEEKERS).jobseekers_for(vacancy, overrides)
        rowids, sims, found = self._retrieve(
            Kind.VACANCIES, vacancy, Kind.JOBSEEKERS, eligible.rowids
        )
        checks = check_pairs([vacancy] * len(found), found, overrides)
        top = top_passing(sims, checks.passed, k)
        items = self._matches(
            Kind.JOBSEEKERS,
            rowids,
            sims,
            top,
            found,
            lambda i: explain_filters(vacancy, found[i], checks, i),
            checks.distance_km,
        )
        return Shortlist(
            query_id=vacancy_id,
            direction="jobseekers",
            items=items,
            retrieved=len(found),
            passed_filters=len(eligible.rowids),
            filtered_out=eligible.removed,
            model_id=self.embedder.model_id,
        )

    def vacancies_for(
        self, jobseeker_id: str, k: int = 20, overrides: Overrides | None = None
    ) -> Shortlist:
        """The best open vacancies for a jobseeker among those that pass the hard filters."""
        js = self.get(Kind.JOBSEEKERS, jobseeker_id)
        eligible = self.indexer.table(Kind.VACANCIES).vacancies_for(js, overrides)
        rowids, sims, found = self._retrieve(Kind.JOBSEEKERS, js, Kind.VACANCIES, eligible.rowids)
        checks = check_pairs(found, [js] * len(found), overrides)
        open_ = np.array([v.status == VacancyStatus.OPEN for v in found], dtype=bool)
        top = top_passing(sims, checks.passed & open_, k)
        items = self._matches(
            Kind.VACANCIES,
            rowids,
            sims,
            top,
            found,
            lambda i: explain_filters(found[i], js, checks, i),
            checks.distance_km,
        )
        return Shortlist(
            query_id=jobseeker_id,
            direction="vacancies",
            items=items,
            retrieved=len(found),
            passed_filters=len(eligible.rowids),
            filtered_out=eligible.removed,
            model_id=self.embedder.model_id,
        )

    def _retrieve(self, query_kind: Kind, record, target: Kind, among: np.ndarray):
        """Nearest records of `target` among eligible rowids: (rowids, similarities, records)."""
        if len(among) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), []
        rowid = self.store.rowid(query_kind, record.id)
        text = record_text(record)
        q = self.indexer.query_vector(query_kind, rowid, text_hash(text), text)
        scores, ids = self.indexer.index(target).search(q, self.settings.retrieve_n, among=among)
        keep = ids[0] >= 0
        ids, scores = ids[0][keep], scores[0][keep]
        records = self.store.by_rowids(target, ids.tolist())
        present = np.array([int(r) in records for r in ids], dtype=bool)
        ids, scores = ids[present], scores[present]
        return ids, scores, [records[int(r)] for r in ids]

    def _matches(self, kind: Kind, rowids, sims, top, found, explain, distances) -> list[Match]:
        occupations = self.store.occupations(kind, rowids[top].tolist())
        geo = geography()
        items = []
        for rank, i in enumerate(top, start=1):
            rec = found[i]
            uri, conf = occupations.get(int(rowids[i]), (None, 0.0))
            title = rec.desired_occupation if kind == Kind.JOBSEEKERS else rec.title
            items.append(
                Match(
                    id=rec.id,
                    rank=rank,
                    score=float(sims[i]),
                    similarity=float(sims[i]),
                    distance_km=round(float(distances[i]), 1),
                    region=geo.region_of(rec.postcode),
                    title=title,
                    occupation=occupation_info(uri, conf if uri else None),
                    criteria=[_semantic(float(sims[i])), *explain(i)],
                )
            )
        return items

    def health(self) -> dict[str, object]:
        """Model, index sizes and store status."""
        start = time.perf_counter()
        counts = {k.value: self.store.count(k) for k in Kind}
        sizes = {}
        for kind in Kind:
            index = self.indexer.index(kind)
            sizes[kind.value] = {
                "vectors": len(index),
                "type": index.meta.spec,
                "revision": index.meta.revision,
                "bytes": index.nbytes(),
            }
        return {
            "status": "ok",
            "model": {"id": self.embedder.model_id, "dim": self.embedder.dim},
            "store": {
                "backend": self.store.engine.dialect.name,
                "records": counts,
                "latency_ms": round((time.perf_counter() - start) * 1000, 1),
            },
            "indexes": sizes,
        }


def _semantic(similarity: float) -> Criterion:
    return Criterion(
        "inhoud",
        f"{similarity:.2f}",
        None,
        similarity,
        f"Cv en vacature lijken inhoudelijk op elkaar (cosinus {similarity:.2f})",
    )
