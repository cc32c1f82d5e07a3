"""Alembic migrations of the store (run by `moldx-cds db upgrade`, or at start; see
cds_hooks/store/migrate.py)."""
