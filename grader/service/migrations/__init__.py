"""Alembic migrations of the service's database (run by ``store.migrate``)."""
