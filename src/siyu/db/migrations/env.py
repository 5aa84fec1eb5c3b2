"""Alembic environment: siyu passes its engine in through config.attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from siyu.db.schema import metadata

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `siyu init` (siyu.db.migrate), not bare alembic")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
