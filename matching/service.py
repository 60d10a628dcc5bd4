"""The matching service: a small facade over the store, the serving snapshot and the pipeline.

Queries take one serving snapshot (`context()`) and run the query pipeline on it; writes go
through one lock, so an embedder switch can catch up and swap between two writes.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from matching import operations
from matching.config import Settings
from matching.embedders import (
    EmbedderRef,
    load_embedder,
    record_serving,
    serving_embedder,
    target_embedder,
)
from matching.erasure import ErasureReceipt, erase_jobseeker
from matching.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from matching.filters import Overrides
from matching.health import Health, collect_health
from matching.indexing import remove_from_saved
from matching.ingest import IngestReport, RowCheck, read_frame, validate_rows
from matching.labour_market import LiveMarket, Market
from matching.occupations import inferred_occupations
from matching.outcomes import OutcomeKind
from matching.query import QueryContext
from matching.ranking import ranker_name
from matching.records import Jobseeker, Kind, Vacancy, kind_of
from matching.risk import RiskDesk
from matching.serving import Serving, ServingSlot
from matching.shortlist import FitCheck, Shortlist
from matching.store import Store
from matching.switching import EmbedderSwitcher
from models.embedder import Embedder
from models.registry import BASE, ServedRanker, load_champion

log = logging.getLogger("werkmatch")

MARKET_MAX_AGE_S = 60.0


def freeze_heap() -> None:
    """Exempt everything loaded so far (taxonomy, tables, models) from the cyclic garbage
    collector, and collect the young generation every 100,000 net allocations instead of 700.
    Call once a service has started: full collections over the loaded heap paused shortlists
    for 0.1-0.4 s (see docs/design-notes.md); freed objects still go at once by refcount."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)


class Matcher:
    """Everything the CLI and the API do, on one data directory."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        settings.ensure_dirs()
        self.settings = settings
        self.store = Store(settings.db_url)
        if embedder is None:
            ref = serving_embedder(settings) or target_embedder(settings)
            embedder = load_embedder(settings, ref=ref)
        else:
            ref = EmbedderRef(_version_of(settings, embedder), Path(embedder.model_dir))
        self._slot = ServingSlot(Serving(ref, embedder, self.store, settings))
        self._writes = threading.RLock()
        self._query_slots = threading.BoundedSemaphore(settings.query_slots)
        self._market = LiveMarket(self.store, MARKET_MAX_AGE_S)
        self.ranker: ServedRanker | None = None
        self._ranker_lock = threading.Lock()  # reloads one at a time (API, follower, CLI)
        self._ranker_logged = False
        self.risk = RiskDesk(self.store, settings, self.market)  # risk, segment, overrides
        self.switcher = EmbedderSwitcher(
            settings, self.store, self._writes, self._slot, on_swap=self._market.invalidate
        )

    @property
    def serving(self) -> Serving:
        """The snapshot queries use: take it once per operation."""
        return self._slot.current

    def context(self, as_of: dt.date | None = None) -> QueryContext:
        """One query's view: the serving snapshot, the store and the labour market
        (availability judged as of `as_of`, default today)."""
        return QueryContext(
            self.serving, self.store, self.market(), self.settings.retrieve_n, as_of
        )

    # ------------------------------------------------------------------ writes
    def upsert(self, records: Sequence[Jobseeker | Vacancy], progress: bool = False) -> list[int]:
        """Store records of one kind, embed changed texts and update the index."""
        if not records:
            return []
        with self._writes:
            occupations = inferred_occupations(records, self.serving.occupations)
            rowids = self.store.upsert(records, occupations)
            self.serving.indexer.catch_up(kind_of(records[0]), progress)
        return rowids

    def create(self, record: Jobseeker | Vacancy) -> None:
        """Store a new record; AlreadyExistsError when its id is taken."""
        with self._writes:
            if self.store.rowid(kind_of(record), record.id) is not None:
                raise AlreadyExistsError(f"{record.id!r} exists already; use PUT to replace it")
            self.upsert([record])

    def replace(self, record_id: str, record: Jobseeker | Vacancy) -> None:
        """Replace a stored record; its id must be `record_id`."""
        if record.id != record_id:
            raise InvalidInputError(
                f"body id {record.id!r} differs from path id {record_id!r}", "id"
            )
        with self._writes:
            self.get(kind_of(record), record_id)
            self.upsert([record])

    def delete(self, kind: Kind, record_id: str) -> None:
        """Erase a record, its embeddings and its index entry."""
        with self._writes:
            if not self.store.delete(kind, record_id):
                raise NotFoundError.record(kind.value, record_id)
            self.serving.indexer.sync(kind)

    def erase_jobseeker(
        self, jobseeker_id: str, erased_by: str, role: str = "admin"
    ) -> ErasureReceipt:
        """AVG art. 17: record, vectors, outcomes and audit link in one transaction; then
        every saved index (served, and kept for rollback) without the person, before return."""
        with self._writes:
            receipt = erase_jobseeker(self.store, jobseeker_id, erased_by, role)
            if receipt is None:
                raise NotFoundError.record(Kind.JOBSEEKERS.value, jobseeker_id)
            indexer = self.serving.indexer
            indexer.persist(Kind.JOBSEEKERS)
            remove_from_saved(
                self.settings.indexes_dir, Kind.JOBSEEKERS, [receipt.rowid], indexer.folder
            )
        return receipt

    def ingest(
        self, kind: Kind, path: Path, progress: bool = True, accept: RowCheck | None = None
    ) -> IngestReport:
        """Validate a file, store its good rows in batches of one transaction each, embed;
        `accept` may refuse valid rows (the caller's scope)."""
        report = IngestReport(kind=kind.value)
        rows = read_frame(path).iter_rows(named=True)
        self.ingest_rows(kind, rows, report, progress, accept=accept)
        return report

    def ingest_rows(
        self,
        kind: Kind,
        rows: Iterable[dict],
        report: IngestReport,
        progress: bool = True,
        embed: bool = True,
        accept: RowCheck | None = None,
    ) -> None:
        """Store the valid rows of an iterable of dicts, one transaction per batch (each with
        the occupations inferred for it); with `embed`, embed and index the new texts too."""
        with self._writes:
            batch: list[Jobseeker | Vacancy] = []
            for record in validate_rows(kind, rows, report, accept):
                batch.append(record)
                if len(batch) >= self.settings.ingest_batch:
                    self._store_batch(batch, report)
                    batch = []
            if batch:
                self._store_batch(batch, report)
            if embed:
                self.serving.indexer.catch_up(kind, progress)
                self.serving.indexer.flush()

    def _store_batch(self, batch: list[Jobseeker | Vacancy], report: IngestReport) -> None:
        self.store.upsert(batch, inferred_occupations(batch, self.serving.occupations))
        report.stored += len(batch)
        report.stored_ids += [r.id for r in batch]
        log.info("ingest: committed %d %s (%d so far)", len(batch), report.kind, report.stored)

    def record_outcome(
        self,
        vacancy_id: str,
        jobseeker_id: str,
        outcome: OutcomeKind | str,
        reason: str | None,
        source: str,
    ) -> None:
        """What happened to a proposed candidate; both ids must be stored. A placement is
        also the person's exit to work in their unemployment history."""
        for field, kind, rid in (
            ("vacancy_id", Kind.VACANCIES, vacancy_id),
            ("jobseeker_id", Kind.JOBSEEKERS, jobseeker_id),
        ):
            if self.store.rowid(kind, rid) is None:
                raise NotFoundError(f"{rid!r} not found", field)
        row = {"vacancy_id": vacancy_id, "jobseeker_id": jobseeker_id, "reason": reason}
        row |= {"outcome": OutcomeKind(outcome).value, "source": source}
        self.store.ledger.add_outcomes([row])
        if row["outcome"] == OutcomeKind.PLACED:  # the person starts working: their history
            self.store.history.add_exit(jobseeker_id, vacancy_id, dt.date.today(), source)

    # ------------------------------------------------------------------- reads
    def get(self, kind: Kind, record_id: str) -> Jobseeker | Vacancy:
        record = self.store.get(kind, record_id)
        if record is None:
            raise NotFoundError.record(kind.value, record_id)
        return record

    def shortlist(
        self,
        vacancy_id: str,
        k: int = 20,
        overrides: Overrides | None = None,
        fair: bool = False,
    ) -> Shortlist:
        """The best jobseekers for a vacancy among those that pass the hard filters (`fair`:
        re-ranked for the exposure of 45+ and long-term unemployed)."""
        vacancy = self.get(Kind.VACANCIES, vacancy_id)
        with self._query_slots:
            return operations.shortlist(self.context(), vacancy, self.ranker, k, overrides, fair)

    def vacancies_for(
        self, jobseeker_id: str, k: int = 20, overrides: Overrides | None = None
    ) -> Shortlist:
        """The best open vacancies for a jobseeker among those that pass the hard filters."""
        js = self.get(Kind.JOBSEEKERS, jobseeker_id)
        with self._query_slots:
            return operations.shortlist(self.context(), js, self.ranker, k, overrides)

    def fit_check(self, vacancy_id: str, jobseeker_id: str) -> FitCheck:
        """Score one pair, find the rank it would have, and list what is missing."""
        vacancy = self.get(Kind.VACANCIES, vacancy_id)
        js = self.get(Kind.JOBSEEKERS, jobseeker_id)
        with self._query_slots:
            return operations.fit_check(self.context(), vacancy, js, self.ranker)

    def segments(self, jobseeker_ids: Sequence[str]) -> dict[str, dict]:
        """Service segment (the werkcoach's override if any), risk and phase per jobseeker:
        what a caseload view shows (callers check the caseload and audit)."""
        return self.risk.segments(jobseeker_ids)

    def market(self) -> Market:
        """Labour-market tension of the store, at most a minute old (see `LiveMarket`)."""
        return self._market.get()

    def health(self) -> Health:
        return collect_health(self.serving, self.store, self.switcher.status, self.ranker)

    # ----------------------------------------------------------------- serving
    def prepare(self, progress: bool = True) -> dict[str, int]:
        """Embed whatever is pending, bring both indexes up to date and load the ranker."""
        done = {}
        with self._writes:
            indexer = self.serving.indexer
            for kind in Kind:
                done[kind.value] = indexer.catch_up(kind, progress)
            indexer.flush()
            if serving_embedder(self.settings) is None:  # afterwards only a swap changes it
                record_serving(self.settings, self.serving.ref)
        self.reload_ranker()
        self.risk.reload()
        return done

    def reload_ranker(self) -> ServedRanker | None:
        """Load the MLflow champion (None: rank by cosine until a ranker is promoted); the
        ranker that serves is kept when it is the champion still. Logged when it changes."""
        with self._ranker_lock:
            before = self.ranker
            self.ranker = load_champion(self.settings.tracking_uri, self.settings.home, before)
            if self.ranker is not before or not self._ranker_logged:
                log.info("serving ranker: %s", ranker_name(self.ranker))
                self._ranker_logged = True
            return self.ranker


def _version_of(settings: Settings, embedder: Embedder) -> str:
    """Registry label of an embedder handed in directly: `base` for the settings' model."""
    same = Path(embedder.model_dir).resolve() == settings.embedding_model_dir.resolve()
    return BASE if same else Path(embedder.model_dir).name
