"""Reading one key of a JSON object column, portably.

SQLite (before 3.45) matches JSON path labels against the raw, still-escaped key text, and
siyu stores JSON with non-ASCII keys escaped (`{"\\u62a4\\u80a4": 0.5}` for 护肤), so
`json_extract(col, '$."护肤"')` finds nothing. `json_each` decodes keys, so it is used instead.
PostgreSQL's `->>` decodes keys itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class json_number(FunctionElement[float]):  # noqa: N801 (reads like a SQL function)
    """json_number(column, key): the number stored under a top-level key, or NULL."""

    type = Float()
    inherit_cache = True


@compiles(json_number, "sqlite")
def _json_number_sqlite(element: json_number, compiler: Any, **kw: Any) -> str:
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(SELECT json_each.value FROM json_each({column}) WHERE json_each.key = {key})"


@compiles(json_number, "postgresql")
def _json_number_postgresql(element: json_number, compiler: Any, **kw: Any) -> str:
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(({column} ->> CAST({key} AS TEXT)) AS DOUBLE PRECISION)"
