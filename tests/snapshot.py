"""A comparable picture of the store, for tests that assert "nothing changed"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from siyu.db.schema import metadata

VOLATILE = {"created_at", "updated_at", "started_at", "finished_at", "merged_at"}
# counters that only say how often something happened, not what the store holds: a change
# mark's version counts how often the customer was marked since the last refresh
COUNTERS = {("customer_changes", "version")}


def snapshot(engine: Engine, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (without bookkeeping timestamps and counters), sorted."""
    picture = {}
    with engine.connect() as connection:
        for table in metadata().sorted_tables:
            if table.name in skip:
                continue
            columns = [
                column
                for column in table.columns
                if column.name not in VOLATILE and (table.name, column.name) not in COUNTERS
            ]
            rows = connection.execute(select(*columns)).all()
            picture[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return picture
