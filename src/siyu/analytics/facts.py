"""Read what profiles are computed from, as numpy columns (one query per fact table).

`customer_ids=None` reads everyone (a full refresh); a list reads only those customers, in chunks
(an incremental refresh: work grows with the customers touched, not with history).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroupMember, WecomContact
from siyu.commerce.tables import REVENUE_STATUSES, Order, OrderLine, Shop
from siyu.customers.tables import BehaviourEvent
from siyu.db.sql import epoch_seconds

VALUE_EVENTS = ("view", "follow", "favourite", "cart")
PURCHASE_STATUSES = ("paid", "shipped", "completed", "partially_refunded")
CHUNK = 5_000

Columns = dict[str, NDArray[Any]]
Query = Select[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Facts:
    orders: Columns  # customer, seconds, net, purchase, revenue, shop, platform, items
    lines: Columns  # customer, seconds, category, net
    events: Columns  # customer, first_seconds, last_seconds, value
    contacts: Columns  # customer, live, deleted_by_customer, first_seconds
    groups: Columns  # customer (live membership)
    shop_platforms: dict[int, str]
    shop_names: dict[int, str]


def read_facts(session: Session, customer_ids: Sequence[int] | None) -> Facts:
    shops = session.execute(select(Shop.id, Shop.platform, Shop.name)).all()
    return Facts(
        orders=_read(session, _orders_query(), Order.customer_id, customer_ids),
        lines=_read(session, _lines_query(), Order.customer_id, customer_ids),
        events=_read(session, _events_query(), BehaviourEvent.customer_id, customer_ids),
        contacts=_read(session, _contacts_query(), WecomContact.customer_id, customer_ids),
        groups=_read(session, _groups_query(), CustomerGroupMember.customer_id, customer_ids),
        shop_platforms={shop_id: platform for shop_id, platform, _ in shops},
        shop_names={shop_id: name for shop_id, _, name in shops},
    )


def _orders_query() -> Query:
    items = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
    )
    return select(
        Order.customer_id.label("customer"),
        epoch_seconds(Order.ordered_at).label("seconds"),
        (Order.paid_fen - Order.refunded_fen).label("net"),
        and_(Order.status.in_(PURCHASE_STATUSES), Order.paid_fen > Order.refunded_fen).label(
            "purchase"
        ),
        Order.status.in_(REVENUE_STATUSES).label("revenue"),
        Order.shop_id.label("shop"),
        items.label("items"),
    ).where(Order.customer_id.is_not(None))


def _lines_query() -> Query:
    return (
        select(
            Order.customer_id.label("customer"),
            epoch_seconds(Order.ordered_at).label("seconds"),
            OrderLine.category_id.label("category"),
            (func.coalesce(OrderLine.paid_fen, 0) - OrderLine.refunded_fen).label("net"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.customer_id.is_not(None),
            OrderLine.category_id.is_not(None),
            Order.status.in_(PURCHASE_STATUSES),
        )
    )


def _events_query() -> Query:
    return select(
        BehaviourEvent.customer_id.label("customer"),
        func.min(epoch_seconds(BehaviourEvent.occurred_at)).label("first_seconds"),
        func.max(epoch_seconds(BehaviourEvent.occurred_at)).label("last_seconds"),
        func.max(_flag(BehaviourEvent.event_type.in_(VALUE_EVENTS))).label("value"),
    ).group_by(BehaviourEvent.customer_id)


def _contacts_query() -> Query:
    live = WecomContact.removed_at.is_(None)
    by_customer = WecomContact.removed_by == "customer"
    return (
        select(
            WecomContact.customer_id.label("customer"),
            func.max(_flag(live)).label("live"),
            func.max(_flag(by_customer)).label("deleted_by_customer"),
            func.min(epoch_seconds(WecomContact.added_at)).label("first_seconds"),
            func.max(epoch_seconds(WecomContact.removed_at)).label("removed_seconds"),
        )
        .where(WecomContact.customer_id.is_not(None))
        .group_by(WecomContact.customer_id)
    )


def _groups_query() -> Query:
    return (
        select(CustomerGroupMember.customer_id.label("customer"))
        .where(CustomerGroupMember.customer_id.is_not(None), CustomerGroupMember.left_at.is_(None))
        .distinct()
    )


def _flag(condition: Any) -> Any:
    """1/0 for a condition, so it can be aggregated on both backends."""
    return case((condition, 1), else_=0)


def _read(
    session: Session, query: Query, column: Any, customer_ids: Sequence[int] | None
) -> Columns:
    names = [element.name for element in query.selected_columns]
    if customer_ids is None:
        rows = list(session.execute(query))
    else:
        rows = []
        for start in range(0, len(customer_ids), CHUNK):
            chunk = customer_ids[start : start + CHUNK]
            rows.extend(session.execute(query.where(column.in_(chunk))))
    if not rows:
        return {name: np.zeros(0, dtype=np.int64) for name in names}
    table = np.array([tuple(-1 if value is None else value for value in row) for row in rows])
    return {name: table[:, index].astype(np.int64) for index, name in enumerate(names)}
