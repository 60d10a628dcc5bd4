"""CV facts beside the record: a jobseeker's years of experience and care for children,
read from the CV text at ingest (issue 19), filled here for rows stored before.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from matching.text_facts import cares_for_children, experience_years

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("jobseekers", "vacancies")
BATCH = 5_000


def upgrade() -> None:
    conn = op.get_bind()
    for name in TABLES:
        have = {c["name"] for c in sa.inspect(conn).get_columns(name)}
        # a database from before migrations got these from today's schema on its way to 0001
        if "experience_years" not in have:
            op.add_column(name, sa.Column("experience_years", sa.Integer(), nullable=True))
        if "cares_for_children" not in have:
            op.add_column(name, sa.Column("cares_for_children", sa.Boolean(), nullable=True))
    _fill(conn)


def _fill(conn: sa.Connection) -> None:
    """Read the facts of every stored jobseeker that has none yet, in batches."""
    table = sa.table(
        "jobseekers",
        sa.column("rowid", sa.Integer),
        sa.column("data", sa.JSON),
        sa.column("experience_years", sa.Integer),
        sa.column("cares_for_children", sa.Boolean),
    )
    todo = sa.select(table.c.rowid, table.c.data).where(table.c.experience_years.is_(None))
    write = (
        sa.update(table)
        .where(table.c.rowid == sa.bindparam("r"))
        .values(experience_years=sa.bindparam("y"), cares_for_children=sa.bindparam("c"))
    )
    after = 0
    while True:
        rows = conn.execute(
            todo.where(table.c.rowid > after).order_by(table.c.rowid).limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for rowid, data in rows:
            text = (data or {}).get("cv_text") or ""
            values.append({"r": rowid, "y": experience_years(text), "c": cares_for_children(text)})
        conn.execute(write, values)
        after = rows[-1][0]


def downgrade() -> None:
    for name in TABLES:
        op.drop_column(name, "cares_for_children")
        op.drop_column(name, "experience_years")
