"""Alembic's environment: migrations run on the connection `matching.database` hands in
(`config.attributes["connection"]`), inside the transaction that holds its lock."""

from alembic import context

from matching.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
