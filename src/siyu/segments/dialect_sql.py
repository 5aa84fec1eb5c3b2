"""One condition, spelt per database: what is fastest differs between SQLite and PostgreSQL.

PostgreSQL turns correlated EXISTS into semi- and anti-joins and picks the driving side itself.
SQLite evaluates a correlated EXISTS once per candidate row, but can drive a query from an
uncorrelated `id IN (SELECT …)` (a behaviour window read from the index on type and time). An
`IN` is not used on PostgreSQL, where `NOT IN` cannot become an anti-join.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, not_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType


class per_dialect(ColumnElement[bool]):  # noqa: N801 (reads like a SQL function)
    """`sqlite` on SQLite, `other` elsewhere; both must mean the same."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition, not a boolean column (no "= 1" on SQLite)
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (SQLAlchemy's protocol)
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("other", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, *, sqlite: ColumnElement[bool], other: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.other = other

    def _negate(self) -> ColumnElement[bool]:
        return per_dialect(sqlite=not_(self.sqlite), other=not_(self.other))


@compiles(per_dialect)
def _per_dialect_default(element: per_dialect, compiler: Any, **kw: Any) -> str:
    text: str = compiler.process(element.other, **kw)
    return text


@compiles(per_dialect, "sqlite")
def _per_dialect_sqlite(element: per_dialect, compiler: Any, **kw: Any) -> str:
    text: str = compiler.process(element.sqlite, **kw)
    return text
