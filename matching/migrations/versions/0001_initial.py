"""The schema as `create_schema` made it before migrations (werkmatch 0.1, issue 17).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"], unique=False)
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("jobseeker_ids", sa.JSON(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_subjects",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("jobseeker_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("audit_id", "jobseeker_id"),
    )
    op.create_index(
        op.f("ix_audit_subjects_jobseeker_id"), "audit_subjects", ["jobseeker_id"], unique=False
    )
    op.create_table(
        "caseload",
        sa.Column("jobseeker_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("jobseeker_id"),
    )
    op.create_index(op.f("ix_caseload_team"), "caseload", ["team"], unique=False)
    op.create_index(op.f("ix_caseload_user_id"), "caseload", ["user_id"], unique=False)
    op.create_table(
        "embeddings",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rowid", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=120), nullable=False),
        sa.Column("prompt", sa.String(length=16), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "rowid", "model_id", "prompt"),
    )
    op.create_index(
        "ix_embeddings_model", "embeddings", ["kind", "model_id", "prompt"], unique=False
    )
    op.create_index(op.f("ix_embeddings_rev"), "embeddings", ["rev"], unique=False)
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "jobseekers",
        sa.Column("rowid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("postcode", sa.String(length=4), nullable=False),
        sa.Column("occupation_uri", sa.String(length=120), nullable=True),
        sa.Column("occupation_confidence", sa.Float(), nullable=True),
        sa.Column("radius_km", sa.Float(), nullable=True),
        sa.Column("hours_lo", sa.Float(), nullable=False),
        sa.Column("hours_hi", sa.Float(), nullable=False),
        sa.Column("licence_mask", sa.Integer(), nullable=False),
        sa.Column("available_day", sa.Integer(), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("education_rank", sa.Integer(), nullable=True),
        sa.Column("months_unemployed", sa.Integer(), nullable=True),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rowid"),
        sa.UniqueConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_jobseekers_rev"), "jobseekers", ["rev"], unique=False)
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("jobseeker_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_outcomes_jobseeker_id"), "outcomes", ["jobseeker_id"], unique=False)
    op.create_index(op.f("ix_outcomes_vacancy_id"), "outcomes", ["vacancy_id"], unique=False)
    op.create_table(
        "revisions",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    op.create_table(
        "segment_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jobseeker_id", sa.String(length=64), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_segment_overrides_jobseeker_id"),
        "segment_overrides",
        ["jobseeker_id"],
        unique=False,
    )
    op.create_table(
        "tombstones",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rowid", sa.Integer(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "rowid"),
    )
    op.create_index(op.f("ix_tombstones_rev"), "tombstones", ["rev"], unique=False)
    op.create_table(
        "unemployment_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jobseeker_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=True),
        sa.Column("vacancy_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_unemployment_events_jobseeker_id"),
        "unemployment_events",
        ["jobseeker_id"],
        unique=False,
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "vacancies",
        sa.Column("rowid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("postcode", sa.String(length=4), nullable=False),
        sa.Column("occupation_uri", sa.String(length=120), nullable=True),
        sa.Column("occupation_confidence", sa.Float(), nullable=True),
        sa.Column("radius_km", sa.Float(), nullable=True),
        sa.Column("hours_lo", sa.Float(), nullable=False),
        sa.Column("hours_hi", sa.Float(), nullable=False),
        sa.Column("licence_mask", sa.Integer(), nullable=False),
        sa.Column("available_day", sa.Integer(), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("education_rank", sa.Integer(), nullable=True),
        sa.Column("months_unemployed", sa.Integer(), nullable=True),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rowid"),
        sa.UniqueConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_vacancies_rev"), "vacancies", ["rev"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(op.f("ix_web_sessions_key_id"), "web_sessions", ["key_id"], unique=False)


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("vacancies")
    op.drop_table("users")
    op.drop_table("unemployment_events")
    op.drop_table("tombstones")
    op.drop_table("segment_overrides")
    op.drop_table("revisions")
    op.drop_table("outcomes")
    op.drop_table("jobseekers")
    op.drop_table("erasures")
    op.drop_table("embeddings")
    op.drop_table("caseload")
    op.drop_table("audit_subjects")
    op.drop_table("audit")
    op.drop_table("api_keys")
