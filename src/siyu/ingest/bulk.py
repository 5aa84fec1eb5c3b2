"""Set-based reads and writes for imports, on the DBAPI cursor of the session's connection.

An import moves millions of rows; SQLAlchemy's ORM bulk paths and expanding `IN` lists cost
microseconds per row and per value, more than the database itself. These helpers run plain SQL
in the session's transaction instead:

- `execute_in`: one statement per `IN` list (PostgreSQL: `= ANY(array)`; SQLite: chunks of
  bound values under its variable limit);
- `insert`: PostgreSQL `COPY … FROM STDIN`; SQLite `executemany`;
- `insert_with_ids`: the same, returning the new rows' ids in row order (PostgreSQL reserves
  them from the sequence first; SQLite reads back the rows it just appended, under the write
  lock the insert took);
- `update_by_id`: `executemany` of one `UPDATE … WHERE id = ?`.

Values must already be in the form the driver stores: `db_time` gives a timestamp's stored
form, UTC text in SQLAlchemy's SQLite format (so text order is time order), with `+00` on
PostgreSQL, which parses it into `timestamptz`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.customers.changes import BUMP

SQLITE_IN_CHUNK = 5_000  # bound values per statement (SQLite allows 32,766)
SQLITE_CACHE_KIB = 128 << 10  # page cache during an import (the default is 2 MiB)
# SQLite, for a whole import: a page cache big enough for the indexes it fills at random
# positions (the default 2 MiB makes every insert re-read pages from the OS). Durability is
# untouched (WAL with synchronous=NORMAL, as `siyu.db.engine` sets).
SQLITE_IMPORT_PRAGMAS = (f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}",)
Row = tuple[Any, ...]


def sqlite_time(moment: datetime | None) -> str | None:
    """An aware datetime as SQLAlchemy stores it in SQLite: naive UTC, `%Y-%m-%d %H:%M:%S.%f`."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: siyu stores only aware timestamps")
    text = moment.astimezone(UTC).isoformat(" ")[:-6]  # drop "+00:00"
    return text if len(text) > 19 else text + ".000000"


def postgres_time(moment: datetime | None) -> str | None:
    """An aware datetime as `timestamptz` text in UTC, the form `time_column` reads back."""
    text = sqlite_time(moment)
    return None if text is None else text + "+00"


def db_time_function(is_postgres: bool) -> Callable[[datetime | None], str | None]:
    """The stored text of a timestamp on that backend (`sqlite_time` or `postgres_time`).

    Timestamps travel as text so that prepared rows are plain tuples (cheap to send between
    processes) and compare with what `time_column` selects without parsing."""
    return postgres_time if is_postgres else sqlite_time


def time_column(name: str, *, is_postgres: bool) -> str:
    """A SELECT expression reading a timestamp column in the form `db_time_function` writes."""
    if not is_postgres:
        return name
    return f"to_char({name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'"


class Bulk:
    """Bulk statements inside the session's current transaction."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.is_postgres = connection.dialect.name == "postgresql"
        self.dbapi: Any = connection.connection.dbapi_connection
        self.db_time = db_time_function(self.is_postgres)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.is_postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(self._sql(sql), params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def execute_in(
        self, sql: str, params: Sequence[Any], values: Collection[Any], *, array_type: str = "text"
    ) -> list[Row]:
        """Run `sql`, whose last condition is `column {}` (an IN list), over all of `values`.

        `?` marks the other parameters. `array_type` is the PostgreSQL type of the values."""
        if not values:
            return []
        if self.is_postgres:
            return self.execute(sql.format(f"= ANY(?::{array_type}[])"), [*params, list(values)])
        rows: list[Row] = []
        listed = list(values)
        for start in range(0, len(listed), SQLITE_IN_CHUNK):
            chunk = listed[start : start + SQLITE_IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows.extend(self.execute(sql.format(f"IN ({marks})"), [*params, *chunk]))
        return rows

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
        names = ", ".join(columns)
        cursor = self.dbapi.cursor()
        try:
            if self.is_postgres:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()

    def insert_with_ids(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> list[int]:
        """Insert `rows` and return their new ids, in row order."""
        if not rows:
            return []
        if self.is_postgres:
            ids = sorted(
                row[0]
                for row in self.execute(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                    "FROM generate_series(1, ?)",
                    [len(rows)],
                )
            )
            self.insert(
                table,
                ("id", *columns),
                [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)],
            )
            return ids
        self.insert(table, columns, rows)
        # The insert holds SQLite's write lock until commit, and SQLite gives each new row the
        # next id above the largest one: the newest len(rows) ids are these rows, in order.
        newest = self.execute(f"SELECT id FROM {table} ORDER BY id DESC LIMIT ?", [len(rows)])
        return [row[0] for row in reversed(newest)]

    def update_by_id(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
        """`rows` are (value per column…, id)."""
        assignments = ", ".join(f"{name} = ?" for name in columns)
        cursor = self.dbapi.cursor()
        try:
            cursor.executemany(self._sql(f"UPDATE {table} SET {assignments} WHERE id = ?"), rows)
        finally:
            cursor.close()


def mark_customers_changed(bulk: Bulk, customer_ids: Iterable[int | None]) -> None:
    """`siyu.customers.changes.mark_changed` as one statement (its ORM insert costs ~50 µs per
    customer on PostgreSQL)."""
    ids = sorted({customer_id for customer_id in customer_ids if customer_id is not None})
    if not ids:
        return
    if bulk.is_postgres:
        bulk.execute(
            f"INSERT INTO customer_changes (customer_id) SELECT unnest(?::bigint[]) {BUMP}",
            [ids],
        )
        return
    cursor = bulk.dbapi.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO customer_changes (customer_id) VALUES (?) {BUMP}",
            [(customer_id,) for customer_id in ids],
        )
    finally:
        cursor.close()


class Statistics:
    """Keeps PostgreSQL's planner statistics in step with tables an import is filling.

    Lookups by key (`kind, scope, value IN …`) use the index only when the planner knows the
    table is big; a table that grew from empty during this import has no statistics, so the
    planner filters instead, and each batch then costs O(table × batch): quadratic over the
    import. ANALYZE after the first batch and whenever the rows written since doubled (a few
    hundred milliseconds, log₂ times per import). SQLite needs nothing: it prefers the index.
    """

    def __init__(self, engine: Engine, tables: Sequence[str]) -> None:
        self.engine = engine
        self.tables = tables if engine.dialect.name == "postgresql" else ()
        self.written = 0
        self.analyzed_at = 0

    def after_batch(self, rows: int) -> None:
        self.written += rows
        if not self.tables or self.written == 0 or self.written < 2 * self.analyzed_at:
            return
        self.analyzed_at = self.written
        with self.engine.begin() as connection:
            connection.exec_driver_sql(f"ANALYZE {', '.join(self.tables)}")
