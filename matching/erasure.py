"""Erasure (AVG art. 17) of a jobseeker from the store, in one transaction.

What goes: the record, every model's vectors of it (query vectors too), its outcomes, its
caseload entry, its unemployment history and segment overrides (its risk is computed when
asked, never stored), and its id in the audit log, replaced by the receipt's alias
`gewist-<n>` (who saw the data, when and why stays accountable). What stays: a receipt
with counts and no personal data. Afterwards the SQLite log is checkpointed, so with
`secure_delete` the erased text is on no page of any file. The indexes are the caller's
(`Matcher.erase_jobseeker`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from matching.changes import record_deletion
from matching.database import checkpoint, lock_for_writes
from matching.directory import drop_from_caseload
from matching.history import erase_history
from matching.ledger import add_erasure_receipt, close_receipt, erase_from_ledger
from matching.records import Kind
from matching.schema import TABLES
from matching.store import Store
from matching.vectors import delete_vectors_of

# The tables an erasure deletes from or rewrites (vacuumed afterwards on PostgreSQL).
ERASED_TABLES = (
    "jobseekers", "embeddings", "outcomes", "audit", "audit_subjects", "caseload",
    "unemployment_events", "segment_overrides",
)  # fmt: skip


@dataclass(frozen=True)
class ErasureReceipt:
    """What one erasure removed (its `rowid` is for the indexes, never stored with it)."""

    id: int
    rowid: int
    records: int
    vectors: int
    outcomes: int
    audit_entries: int
    history: int = 0  # unemployment events and segment overrides

    def removed(self) -> dict[str, int]:
        return {
            "records": self.records,
            "vectors": self.vectors,
            "outcomes": self.outcomes,
            "audit_entries_pseudonymised": self.audit_entries,
            "history": self.history,
        }


def erase_jobseeker(
    store: Store, jobseeker_id: str, erased_by: str, role: str = "admin"
) -> ErasureReceipt | None:
    """AVG art. 17 in one transaction: the record, every model's vectors of it, its
    outcomes, its id in the audit log (replaced by the receipt's alias), and a receipt
    with no personal data. None when the person is not stored."""
    kind, table = Kind.JOBSEEKERS, TABLES[Kind.JOBSEEKERS]
    with store.engine.begin() as conn:
        lock_for_writes(conn, kind)
        rowid = conn.execute(select(table.c.rowid).where(table.c.id == jobseeker_id)).scalar()
        if rowid is None:
            return None
        receipt = add_erasure_receipt(conn, erased_by, role, kind.value)
        vectors = delete_vectors_of(conn, kind, rowid)
        conn.execute(delete(table).where(table.c.rowid == rowid))
        record_deletion(conn, kind, rowid)
        outcomes, entries = erase_from_ledger(conn, jobseeker_id, f"gewist-{receipt}")
        drop_from_caseload(conn, jobseeker_id)
        history = erase_history(conn, jobseeker_id)
        done = ErasureReceipt(receipt, rowid, 1, vectors, outcomes, entries, history)
        close_receipt(conn, receipt, done.removed())
    checkpoint(store.engine, ERASED_TABLES)
    return done
