"""The course grading service: web (FastAPI), store (SQLAlchemy + Alembic), durable queue, and
the executor that grades jobs. Needs the ``service`` extra: ``pip install 'convgrade[service]'``.
"""
