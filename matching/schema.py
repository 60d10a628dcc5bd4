"""The database schema: record tables, embeddings, outcomes, audit, API keys, revisions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from matching.records import Kind

metadata = MetaData()


def _record_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("rowid", Integer, primary_key=True, autoincrement=True),
        Column("id", String(64), nullable=False, unique=True),
        Column("data", JSON, nullable=False),
        Column("text_hash", String(32), nullable=False),
        Column("postcode", String(4), nullable=False),
        Column("occupation_uri", String(120)),
        Column("occupation_confidence", Float),
        # Filterable attributes as plain columns, so candidate tables load without JSON.
        Column("radius_km", Float),
        Column("hours_lo", Float, nullable=False),
        Column("hours_hi", Float, nullable=False),
        Column("licence_mask", Integer, nullable=False),
        Column("available_day", Integer),
        Column("is_open", Boolean, nullable=False),
        Column("education_rank", Integer),
        Column("months_unemployed", Integer),
        # Jobseekers: facts read from the CV text at ingest (matching/text_facts.py), so that
        # a shortlist does not read 500 CVs; migration 0002 filled them for older rows.
        Column("experience_years", Integer),
        Column("cares_for_children", Boolean),
        Column("rev", Integer, nullable=False, index=True),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        # AUTOINCREMENT: a deleted rowid is never given again (tombstones and indexes are
        # keyed by it); PostgreSQL's sequences never reuse one either.
        sqlite_autoincrement=True,
    )


TABLES = {Kind.JOBSEEKERS: _record_table("jobseekers"), Kind.VACANCIES: _record_table("vacancies")}

embeddings = Table(
    "embeddings",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("rowid", Integer, primary_key=True),
    Column("model_id", String(120), primary_key=True),
    Column("prompt", String(16), primary_key=True),
    Column("text_hash", String(32), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("rev", Integer, nullable=False, index=True),
)

# Deleted rowids by the revision that deleted them, so indexes can follow deletions.
tombstones = Table(
    "tombstones",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("rowid", Integer, primary_key=True),
    Column("rev", Integer, nullable=False, index=True),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vacancy_id", String(64), nullable=False, index=True),
    Column("jobseeker_id", String(64), nullable=False, index=True),
    Column("outcome", String(16), nullable=False),
    Column("reason", Text),
    Column("source", String(32), nullable=False, default="api"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("purpose", String(200)),
    Column("jobseeker_ids", JSON, nullable=False),
    Column("allowed", Boolean),  # False: a refused request (need-to-know); None: before scopes
)

# Which jobseekers an audit entry names: the look-up by person is an indexed query.
audit_subjects = Table(
    "audit_subjects",
    metadata,
    Column("audit_id", Integer, primary_key=True),
    Column("jobseeker_id", String(64), primary_key=True, index=True),
)

# Receipts of erasures (AVG art. 17): who erased, when, and how much went; no personal data.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("erased_by", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("removed", JSON, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("key_hash", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("label", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("user_id", String(64), index=True),  # the named user the key belongs to
    Column("expires_at", DateTime(timezone=True)),
)

# Signed-in browser sessions of the workspace: the cookie holds a random token whose hash is
# the key here; no personal data. Signing out or revoking the key ends the session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", String(64), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Named users: their role, their team (a Werkplein) and the arbeidsmarktregio's they serve.
users = Table(
    "users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("team", String(120)),
    Column("regions", JSON, nullable=False),  # e.g. ["AM22"]
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Which werkcoach (and team) serves a jobseeker: the werkcoach's need-to-know.
caseload = Table(
    "caseload",
    metadata,
    Column("jobseeker_id", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("team", String(120), index=True),
)

# Unemployment histories: intake, phase changes and exits to work (with the vacancy if any).
unemployment_events = Table(
    "unemployment_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jobseeker_id", String(64), nullable=False, index=True),
    Column("event", String(16), nullable=False),  # intake | phase | exit_work
    Column("on", Date, nullable=False),
    Column("phase", Integer),
    Column("vacancy_id", String(64)),
    Column("source", String(64), nullable=False),
)

# A werkcoach's override of a jobseeker's service segment, with the reason (latest counts).
segment_overrides = Table(
    "segment_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jobseeker_id", String(64), nullable=False, index=True),
    Column("segment", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("user_id", String(64)),
    Column("key_id", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# One counter per kind, bumped with every change of its records or vectors: the vector
# index remembers the revision it was built at and is rebuilt when they differ.
revisions = Table(
    "revisions",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("revision", Integer, nullable=False),
)

Index("ix_embeddings_model", embeddings.c.kind, embeddings.c.model_id, embeddings.c.prompt)
