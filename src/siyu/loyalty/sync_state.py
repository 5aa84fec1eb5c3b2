"""Watermarks over `orders.updated_at` for the order-driven syncs.

A sync reads orders updated since its watermark minus an overlap (an import transaction that
committed late with an earlier `updated_at` is still seen); every sync write is idempotent, so
reading an order twice changes nothing. The new watermark is the newest `updated_at` read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import Order
from siyu.loyalty.tables import LoyaltySyncState

OVERLAP = timedelta(hours=1)
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


def read_since(session: Session, name: str) -> tuple[datetime, datetime]:
    """(scan orders updated at or after this, the watermark to store when done)."""
    state = session.get(LoyaltySyncState, name)
    since = BEGINNING if state is None else state.synced_until - OVERLAP
    newest = session.scalar(select(func.max(Order.updated_at)))
    return since, (newest or BEGINNING)


def store_watermark(session: Session, name: str, watermark: datetime) -> None:
    state = session.get(LoyaltySyncState, name)
    if state is None:
        session.add(LoyaltySyncState(name=name, synced_until=watermark))
    elif watermark > state.synced_until:
        state.synced_until = watermark
    session.flush()
