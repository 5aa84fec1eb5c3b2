"""Customers whose data changed since the last refresh (the incremental refresh's work list).

A mark is one row per customer with a version that every new mark bumps. A refresh reads the
marks (`pending_changes`) before it reads facts and clears only the marks still at the version
it read (`clear_changes`): a customer marked again while the refresh ran — an import committing
a new order after the refresh read that customer's facts — stays marked for the next refresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.orm import Session

from siyu.customers.tables import CustomerChange

BUMP = "ON CONFLICT (customer_id) DO UPDATE SET version = customer_changes.version + 1"
CLEAR_CHUNK = 100_000


def mark_changed(session: Session, customer_ids: Iterable[int | None]) -> None:
    ids = sorted({customer_id for customer_id in customer_ids if customer_id is not None})
    if ids:
        statement = text(f"INSERT INTO customer_changes (customer_id) VALUES (:id) {BUMP}")
        session.execute(statement, [{"id": customer_id} for customer_id in ids])


def pending_changes(session: Session) -> dict[int, int]:
    """Every marked customer's id and the version of its mark, by id."""
    rows = session.execute(
        select(CustomerChange.customer_id, CustomerChange.version).order_by(
            CustomerChange.customer_id
        )
    )
    return {customer_id: version for customer_id, version in rows}  # noqa: C416 (Row → tuple)


def clear_changes(session: Session, marks: Mapping[int, int]) -> None:
    """Delete the marks of `marks` that still have the version read; newer ones stay."""
    items = list(marks.items())
    connection = session.connection()
    for start in range(0, len(items), CLEAR_CHUNK):
        chunk = items[start : start + CLEAR_CHUNK]
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "DELETE FROM customer_changes AS c USING unnest(CAST(:ids AS bigint[]), "
                    "CAST(:versions AS integer[])) AS t(customer_id, version) "
                    "WHERE c.customer_id = t.customer_id AND c.version = t.version"
                ),
                {"ids": [c for c, _ in chunk], "versions": [v for _, v in chunk]},
            )
        else:
            connection.execute(
                delete(CustomerChange).where(
                    CustomerChange.customer_id == bindparam("c"),
                    CustomerChange.version == bindparam("v"),
                ),
                [{"c": customer_id, "v": version} for customer_id, version in chunk],
            )
