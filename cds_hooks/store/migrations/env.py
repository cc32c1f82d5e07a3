"""Alembic environment: run on the connection cds_hooks/store/migrate.py hands over."""

from alembic import context

from cds_hooks.store.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True)  # SQLite changes tables by copying them
with context.begin_transaction():
    context.run_migrations()
