"""The matching service: store + embedder + indexes composed into the operations users need."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching.candidates import Eligibility
from matching.config import Settings
from matching.embedders import (
    EmbedderRef,
    load_embedder,
    record_serving,
    serving_embedder,
    target_embedder,
)
from matching.filters import Overrides
from matching.indexing import Indexer
from matching.ingest import IngestReport, read_frame, validate_rows
from matching.labour_market import LiveMarket, Market
from matching.occupations import OccupationIndex, Occupied, inferred_occupations
from matching.ranking import ScoredPairs, matches, ranker_name, score_pairs
from matching.records import Jobseeker, Vacancy, VacancyStatus
from matching.serving import Serving
from matching.shortlist import FitCheck, Shortlist, top_passing
from matching.store import Kind, Store, kind_of
from matching.switching import EmbedderSwitcher, changed_occupations
from matching.texts import record_text, text_hash
from models.embedder import Embedder
from models.registry import BASE, ServedRanker, load_champion

log = logging.getLogger("werkmatch")

MARKET_MAX_AGE_S = 60.0


@dataclass
class Retrieved:
    """The nearest eligible records of one kind to a query record, best first."""

    rowids: np.ndarray
    similarities: np.ndarray
    records: list  # Jobseeker or Vacancy, aligned with rowids
    occupations: dict[int, tuple[str | None, float]]  # rowid -> resolved (URI, confidence)


class NotFoundError(LookupError):
    """A record id that is not in the store."""

    def __init__(self, kind: Kind, record_id: str) -> None:
        super().__init__(
            f"{kind.value[:-1] if kind == Kind.JOBSEEKERS else 'vacancy'} {record_id!r} not found"
        )
        self.kind, self.record_id = kind, record_id


def freeze_heap() -> None:
    """Exempt everything loaded so far (taxonomy, tables, models) from the cyclic garbage
    collector, and collect the young generation every 100,000 net allocations instead of 700.
    Call once a service has started: full collections over the loaded heap paused shortlists
    for 0.1-0.4 s (see docs/design-notes.md); freed objects still go at once by refcount."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)


class Matcher:
    """Everything the CLI and the API do, on one data directory.

    Queries read one `Serving` snapshot (embedder, indexes, occupation index); writes go
    through one lock, so an embedder switch can catch up and swap between two writes.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        settings.ensure_dirs()
        self.settings = settings
        self.store = Store(settings.db_url)
        if embedder is None:
            ref = serving_embedder(settings) or target_embedder(settings)
            embedder = load_embedder(settings, ref=ref)
        else:
            ref = EmbedderRef(_version_of(settings, embedder), Path(embedder.model_dir))
        self._serving = Serving(ref, embedder, self.store, settings)
        self._writes = threading.RLock()
        self._market = LiveMarket(self.store, MARKET_MAX_AGE_S)
        self.ranker: ServedRanker | None = None
        self.switcher = EmbedderSwitcher(self)

    # ----------------------------------------------------------------- serving
    @property
    def serving(self) -> Serving:
        """The snapshot queries use: take it once per operation."""
        return self._serving

    @property
    def embedder(self) -> Embedder:
        return self._serving.embedder

    @property
    def indexer(self) -> Indexer:
        return self._serving.indexer

    @property
    def occupations(self) -> OccupationIndex:
        """Title -> ESCO occupation normaliser of the served embedder."""
        return self._serving.occupations

    def swap(
        self,
        new: Serving,
        occupations: dict[Kind, dict[str, Occupied]],
        since: dict[Kind, int],
    ) -> Serving:
        """Serve `new` from now on, with the occupations it infers; returns the old snapshot.

        Under the write lock: records written since the revisions `since` (when the switch
        began) are embedded, indexed and normalised by `new` before it serves.
        """
        with self._writes:
            for kind in Kind:
                new.indexer.embed_pending(kind, progress=False)
                new.indexer.sync(kind)
                written = self.store.by_rowids(
                    kind, self.store.records_changed_since(kind, since[kind])
                )
                values = {
                    **occupations.get(kind, {}),
                    **changed_occupations(self, new, kind, list(written.items())),
                }
                self.store.set_occupations(kind, values)
            old, self._serving = self._serving, new
            self._market.invalidate()  # tension depends on the occupations
            record_serving(self.settings, new.ref)
        return old

    # ------------------------------------------------------------------ writes
    def upsert(self, records: Sequence[Jobseeker | Vacancy], progress: bool = False) -> list[int]:
        """Store records of one kind, embed changed texts and update the index."""
        if not records:
            return []
        kind = kind_of(records[0])
        with self._writes:
            rowids = self.store.upsert(records, inferred_occupations(records, self.occupations))
            self.indexer.embed_pending(kind, progress=progress)
            self.indexer.sync(kind)
        return rowids

    def delete(self, kind: Kind, record_id: str) -> None:
        """Erase a record, its embeddings and its index entry."""
        with self._writes:
            if not self.store.delete(kind, record_id):
                raise NotFoundError(kind, record_id)
            self.indexer.sync(kind)

    def erase_jobseeker(self, jobseeker_id: str) -> None:
        """GDPR art. 17: the record, its vectors, its index entry and its outcomes go."""
        with self._writes:
            self.delete(Kind.JOBSEEKERS, jobseeker_id)
            self.store.delete_outcomes_of(jobseeker_id)

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

    def ingest_rows(
        self, kind: Kind, rows, report: IngestReport, progress: bool = True, embed: bool = True
    ) -> None:
        """Store the valid rows of an iterable of dicts, one transaction per batch.

        With `embed`, the new texts are embedded and indexed too (the bench derives its own).
        """
        with self._writes:
            batch: list[Jobseeker | Vacancy] = []
            for record in validate_rows(kind, rows, report):
                batch.append(record)
                if len(batch) >= self.settings.ingest_batch:
                    self._store_batch(batch, report)
                    batch = []
            if batch:
                self._store_batch(batch, report)
            if embed:
                self.indexer.embed_pending(kind, progress=progress)
                self.indexer.sync(kind)
                self.indexer.flush()

    def _store_batch(self, batch: list[Jobseeker | Vacancy], report: IngestReport) -> None:
        """One transaction: the records and the occupations inferred for them."""
        self.store.upsert(batch, inferred_occupations(batch, self.occupations))
        report.stored += len(batch)
        log.info("ingest: committed %d %s (%d so far)", len(batch), report.kind, report.stored)

    def prepare(self, progress: bool = True) -> dict[str, int]:
        """Embed whatever is pending, bring both indexes up to date and load the ranker."""
        done = {}
        with self._writes:
            for kind in Kind:
                done[kind.value] = self.indexer.embed_pending(kind, progress=progress)
                self.indexer.index(kind)
            self.indexer.flush()
            if serving_embedder(self.settings) is None:  # afterwards only a swap changes it
                record_serving(self.settings, self._serving.ref)
        self.reload_ranker()
        return done

    # ------------------------------------------------------------------ ranking
    def market(self) -> Market:
        """Labour-market tension of the store, at most a minute old (see `LiveMarket`)."""
        return self._market.get()

    def reload_ranker(self) -> ServedRanker | None:
        """Load the MLflow champion (None: rank by cosine until a ranker is promoted)."""
        self.ranker = load_champion(self.settings.tracking_uri, self.settings.home)
        log.info("serving ranker: %s", ranker_name(self.ranker))
        return self.ranker

    def score_for_vacancy(
        self,
        vacancy: Vacancy,
        rowids: np.ndarray,
        sims: np.ndarray,
        found: list[Jobseeker],
        overrides: Overrides | None = None,
        ranker: ServedRanker | str | None = "served",
        occupations: dict[int, tuple[str | None, float]] | None = None,
    ) -> ScoredPairs:
        """Score jobseekers (rowids, similarities, records) for one vacancy.

        `ranker` defaults to the served one; pass another (or None for cosine) to compare.
        `occupations` of the jobseekers by rowid, if already read (see `retrieve`).
        """
        v_rowid = self.store.rowid(Kind.VACANCIES, vacancy.id)
        v_uri, v_conf = self.store.occupations(Kind.VACANCIES, [v_rowid]).get(v_rowid, (None, 0.0))
        j_occ = (
            occupations
            if occupations is not None
            else self.store.occupations(Kind.JOBSEEKERS, rowids.tolist())
        )
        occ = [(v_uri, j_occ.get(int(r), (None, 0.0))[0]) for r in rowids]
        conf = [(v_conf, j_occ.get(int(r), (None, 0.0))[1]) for r in rowids]
        use = self.ranker if ranker == "served" else ranker
        return score_pairs(
            [vacancy] * len(found), found, sims, occ, conf, self.market(), use, overrides
        )

    def shortlist(
        self, vacancy_id: str, k: int = 20, overrides: Overrides | None = None
    ) -> Shortlist:
        """The best jobseekers for a vacancy among those that pass the hard filters."""
        s = self._serving
        vacancy = self.get(Kind.VACANCIES, vacancy_id)
        eligible = s.indexer.table(Kind.JOBSEEKERS).jobseekers_for(vacancy, overrides)
        got = self.retrieve(Kind.VACANCIES, vacancy, Kind.JOBSEEKERS, eligible.rowids, s)
        pairs = self.score_for_vacancy(
            vacancy,
            got.rowids,
            got.similarities,
            got.records,
            overrides,
            occupations=got.occupations,
        )
        top = top_passing(pairs.scores, pairs.checks.passed, k)
        return self._shortlist(vacancy_id, "jobseekers", pairs, top, eligible, s)

    def vacancies_for(
        self, jobseeker_id: str, k: int = 20, overrides: Overrides | None = None
    ) -> Shortlist:
        """The best open vacancies for a jobseeker among those that pass the hard filters."""
        s = self._serving
        js = self.get(Kind.JOBSEEKERS, jobseeker_id)
        eligible = s.indexer.table(Kind.VACANCIES).vacancies_for(js, overrides)
        got = self.retrieve(Kind.JOBSEEKERS, js, Kind.VACANCIES, eligible.rowids, s)
        found = got.records
        ((j_uri, j_conf),) = self.store.occupations(
            Kind.JOBSEEKERS, [self.store.rowid(Kind.JOBSEEKERS, js.id)]
        ).values()
        v_occ = [got.occupations.get(int(r), (None, 0.0)) for r in got.rowids]
        occ = [(uri, j_uri) for uri, _ in v_occ]
        conf = [(c, j_conf) for _, c in v_occ]
        pairs = score_pairs(
            found,
            [js] * len(found),
            got.similarities,
            occ,
            conf,
            self.market(),
            self.ranker,
            overrides,
        )
        open_ = np.array([v.status == VacancyStatus.OPEN for v in found], dtype=bool)
        top = top_passing(pairs.scores, pairs.checks.passed & open_, k)
        return self._shortlist(jobseeker_id, "vacancies", pairs, top, eligible, s)

    def _shortlist(
        self,
        query_id: str,
        direction: str,
        pairs: ScoredPairs,
        top: np.ndarray,
        eligible: Eligibility,
        serving: Serving,
    ) -> Shortlist:
        return Shortlist(
            query_id=query_id,
            direction=direction,
            items=matches(pairs, top, self.ranker, direction),
            retrieved=len(pairs.scores),
            passed_filters=len(eligible.rowids),
            filtered_out=eligible.removed,
            model_id=serving.model_id,
            ranker=ranker_name(self.ranker),
        )

    def fit_check(self, vacancy_id: str, jobseeker_id: str) -> FitCheck:
        """Score one pair, find the rank it would have, and list what is missing."""
        s = self._serving
        vacancy = self.get(Kind.VACANCIES, vacancy_id)
        js = self.get(Kind.JOBSEEKERS, jobseeker_id)
        rowid = self.store.rowid(Kind.JOBSEEKERS, js.id)
        rowids = np.array([rowid], dtype=np.int64)
        pair = self.score_for_vacancy(vacancy, rowids, self.similarity(vacancy, [rowid], s), [js])
        (match,) = matches(pair, np.array([0]), self.ranker, "jobseekers")
        passes = bool(pair.checks.passed[0])
        rank, among = None, 0
        if passes:
            eligible = s.indexer.table(Kind.JOBSEEKERS).jobseekers_for(vacancy)
            got = self.retrieve(Kind.VACANCIES, vacancy, Kind.JOBSEEKERS, eligible.rowids, s)
            others = self.score_for_vacancy(
                vacancy, got.rowids, got.similarities, got.records, occupations=got.occupations
            )
            keep = others.checks.passed & (got.rowids != rowid)
            among = int(keep.sum()) + 1
            rank = 1 + int((others.scores[keep] > pair.scores[0]).sum())
        return FitCheck(
            vacancy_id=vacancy.id,
            jobseeker_id=js.id,
            score=match.score,
            base=match.base,
            passes_filters=passes,
            rank=rank,
            ranked_among=among,
            ranker=ranker_name(self.ranker),
            criteria=match.criteria,
            missing=_missing(vacancy, js, pair),
        )

    def similarity(
        self, vacancy: Vacancy, rowids: list[int], serving: Serving | None = None
    ) -> np.ndarray:
        """Cosine of a vacancy's query vector with stored jobseeker vectors (0 if missing)."""
        s = serving or self._serving
        v_rowid = self.store.rowid(Kind.VACANCIES, vacancy.id)
        text = record_text(vacancy)
        q = s.indexer.query_vector(Kind.VACANCIES, v_rowid, text_hash(text), text)
        ids, vecs = self.store.load_embeddings(Kind.JOBSEEKERS, s.model_id, rowids=rowids)
        by_id = dict(zip(ids.tolist(), (vecs @ q).tolist(), strict=True)) if len(ids) else {}
        return np.array([by_id.get(int(r), 0.0) for r in rowids], dtype=float)

    def retrieve(
        self,
        query_kind: Kind,
        record: Jobseeker | Vacancy,
        target: Kind,
        among: np.ndarray,
        serving: Serving | None = None,
    ) -> Retrieved:
        """The `retrieve_n` nearest records of `target` among the eligible rowids `among`.

        Query vector and index come from one serving snapshot, so they share a model.
        """
        if len(among) == 0:
            return Retrieved(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), [], {})
        s = serving or self._serving
        rowid = self.store.rowid(query_kind, record.id)
        text = record_text(record)
        q = s.indexer.query_vector(query_kind, rowid, text_hash(text), text)
        scores, ids = s.indexer.index(target).search(q, self.settings.retrieve_n, among=among)
        keep = ids[0] >= 0
        ids, scores = ids[0][keep], scores[0][keep]
        records, occupations = self.store.with_occupations(target, ids.tolist())
        present = np.array([int(r) in records for r in ids], dtype=bool)
        ids, scores = ids[present], scores[present]
        return Retrieved(ids, scores, [records[int(r)] for r in ids], occupations)

    def health(self) -> dict[str, object]:
        """Model, index sizes and store status."""
        start = time.perf_counter()
        serving = self._serving
        counts = {k.value: self.store.count(k) for k in Kind}
        sizes = {}
        for kind in Kind:
            index = serving.indexer.index(kind)
            sizes[kind.value] = {
                "vectors": len(index),
                "type": index.meta.spec,
                "revision": index.meta.revision,
                "bytes": index.estimated_bytes(),
                "nprobe": index.meta.nprobe,
            }
        return {
            "status": "ok",
            "model": {
                "id": serving.model_id,
                "version": serving.ref.version,
                "dim": serving.embedder.dim,
                "precision": serving.embedder.precision,
                "switch": self.switcher.status.as_dict(),
            },
            "store": {
                "backend": self.store.engine.dialect.name,
                "records": counts,
                "latency_ms": round((time.perf_counter() - start) * 1000, 1),
            },
            "indexes": sizes,
            "ranker": {
                "name": ranker_name(self.ranker),
                "version": self.ranker.version if self.ranker else None,
            },
        }


def _version_of(settings: Settings, embedder: Embedder) -> str:
    """Registry label of an embedder handed in directly: `base` for the settings' model."""
    same = Path(embedder.model_dir).resolve() == settings.embedding_model_dir.resolve()
    return BASE if same else Path(embedder.model_dir).name


def _missing(v: Vacancy, j: Jobseeker, pair: ScoredPairs) -> dict[str, object]:
    """What stands between this jobseeker and this vacancy, criterion by criterion."""
    from matching.filters import HOURS_TOLERANCE
    from matching.records import EDUCATION_RANK

    c = pair.checks
    out: dict[str, object] = {}
    if pair.features.missing_skills[0]:
        out["skills"] = pair.features.missing_skills[0]
    if c.missing_licences[0]:
        out["licences"] = c.missing_licences[0]
    if not c.distance_ok[0]:
        out["distance_km_over"] = round(float(c.distance_km[0]) - j.max_travel_km, 1)
    if not c.hours_ok[0]:
        out["hours_short"] = round(v.hours_min - HOURS_TOLERANCE - j.hours_per_week, 1)
    if v.min_education and EDUCATION_RANK[j.education] < EDUCATION_RANK[v.min_education]:
        out["education"] = {"required": v.min_education.value, "has": j.education.value}
    if not c.available_ok[0]:
        out["available_from"] = j.available_from.isoformat() if j.available_from else None
    return out
