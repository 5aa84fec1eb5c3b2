"""Serialising writers that take points away, so no balance can go below zero.

PostgreSQL: each account has a lock row (`points_accounts`), created on demand and locked with
`SELECT … FOR UPDATE` in customer-id order (so two batch writers cannot deadlock). SQLite: one
writer at a time; the transaction is opened with `BEGIN IMMEDIATE`, so the balance read and the
debit happen under the write lock.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from siyu.loyalty.tables import PointsAccount


def lock_accounts(session: Session, customers: Sequence[int] | Select[int]) -> None:
    """Lock the points accounts of `customers` (ids, or a select of ids) until commit."""
    if session.get_bind().dialect.name != "postgresql":
        begin_immediate(session)
        return
    wanted: Sequence[int] | Select[int]
    if isinstance(customers, Select):
        wanted = customers
        rows = postgresql.insert(PointsAccount).from_select(["customer_id"], customers)
        session.execute(rows.on_conflict_do_nothing())
    else:
        wanted = sorted(set(customers))
        if not wanted:
            return
        session.execute(
            postgresql.insert(PointsAccount).on_conflict_do_nothing(),
            [{"customer_id": customer_id} for customer_id in wanted],
        )
    session.execute(
        select(PointsAccount.customer_id)
        .where(PointsAccount.customer_id.in_(wanted))
        .order_by(PointsAccount.customer_id)
        .with_for_update()
    )


def begin_immediate(session: Session) -> None:
    """Take SQLite's write lock now. The driver opens a transaction only before its first
    write, and that write takes the lock; so if a transaction is open, the lock is held."""
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
