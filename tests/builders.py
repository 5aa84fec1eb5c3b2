"""Small builders for the core entities, for tests. Each flushes and returns the row."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from siyu.commerce.tables import Order, OrderLine, Shop
from siyu.customers.tables import Customer, CustomerIdentity

_sequence = itertools.count(1)


def make_shop(session: Session, *, platform: str = "tmall", code: str | None = None) -> Shop:
    number = next(_sequence)
    shop = Shop(
        code=code or f"{platform}-{number}", name=f"{platform} shop {number}", platform=platform
    )
    session.add(shop)
    session.flush()
    return shop


def make_customer(
    session: Session, *, name: str | None = None, phone: str | None = None
) -> Customer:
    customer = Customer(display_name=name or f"customer {next(_sequence)}")
    session.add(customer)
    session.flush()
    if phone is not None:
        session.add(CustomerIdentity(customer_id=customer.id, kind="phone", value=phone))
        session.flush()
    return customer


def make_order(
    session: Session,
    *,
    shop: Shop,
    customer: Customer | None = None,
    paid_fen: int = 10_000,
    refunded_fen: int = 0,
    status: str = "completed",
    ordered_at: datetime | None = None,
    lines: int = 1,
) -> Order:
    moment = ordered_at or datetime(2026, 1, 1, 12, tzinfo=UTC)
    order = Order(
        shop_id=shop.id,
        platform_order_id=str(10**15 + next(_sequence)),
        customer_id=customer.id if customer else None,
        status=status,
        ordered_at=moment,
        paid_at=moment if status != "pending_payment" else None,
        paid_fen=paid_fen,
        refunded_fen=refunded_fen,
    )
    session.add(order)
    session.flush()
    for index in range(lines):
        session.add(
            OrderLine(
                order_id=order.id,
                line_key=str(index),
                title=f"item {index}",
                paid_fen=paid_fen // lines,
            )
        )
    session.flush()
    return order
