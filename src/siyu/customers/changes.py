"""Customers whose data changed since the last refresh (the incremental refresh's work list)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.customers.tables import CustomerChange


def mark_changed(session: Session, customer_ids: Iterable[int | None]) -> None:
    ids = sorted({customer_id for customer_id in customer_ids if customer_id is not None})
    if not ids:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CustomerChange).on_conflict_do_nothing()
    session.execute(statement, [{"customer_id": customer_id} for customer_id in ids])


def changed_customers(session: Session) -> list[int]:
    return list(
        session.scalars(select(CustomerChange.customer_id).order_by(CustomerChange.customer_id))
    )


def clear_changes(session: Session, customer_ids: Iterable[int]) -> None:
    ids = list(customer_ids)
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        session.execute(delete(CustomerChange).where(CustomerChange.customer_id.in_(chunk)))
