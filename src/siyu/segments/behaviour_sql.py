"""Behaviour, purchase and tag conditions in SQL: correlated EXISTS (or COUNT) subqueries on
the customer of the enclosing query, each on a fresh alias; a windowed behaviour or purchase
condition is an uncorrelated `IN` on SQLite (see siyu.segments.dialect_sql)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, select

from siyu.analytics.facts import PURCHASE_STATUSES
from siyu.segments.dialect_sql import per_dialect
from siyu.segments.evaluation import Evaluation
from siyu.segments.language import DidEvent, HasTag, Purchased
from siyu.segments.tables_sql import CUSTOMER_TAGS, CUSTOMERS, EVENTS, ORDER_LINES, ORDERS


def tag_predicate(node: HasTag) -> ColumnElement[bool]:
    tags = CUSTOMER_TAGS.alias()
    return exists().where(tags.c.customer_id == CUSTOMERS.c.id, tags.c.tag_id == node.tag_id)


def event_predicate(node: DidEvent, evaluation: Evaluation) -> ColumnElement[bool]:
    events = EVENTS.alias()
    correlated = _at_least(
        [events.c.customer_id == CUSTOMERS.c.id, *_event_filters(events, node, evaluation)],
        node.at_least,
    )
    if node.within_days is None:
        return correlated
    other = EVENTS.alias()
    return per_dialect(sqlite=_in(other, other.c.customer_id, node, evaluation), other=correlated)


def event_count(node: DidEvent, evaluation: Evaluation) -> ColumnElement[Any]:
    events = EVENTS.alias()
    conditions = [events.c.customer_id == CUSTOMERS.c.id, *_event_filters(events, node, evaluation)]
    return _count(conditions)


def purchase_predicate(node: Purchased, evaluation: Evaluation) -> ColumnElement[bool]:
    orders = ORDERS.alias()
    correlated = _at_least(
        [orders.c.customer_id == CUSTOMERS.c.id, *_purchase_filters(orders, node, evaluation)],
        node.at_least,
    )
    if node.within_days is None:
        return correlated
    other = ORDERS.alias()
    return per_dialect(sqlite=_in(other, other.c.customer_id, node, evaluation), other=correlated)


def purchase_count(node: Purchased, evaluation: Evaluation) -> ColumnElement[Any]:
    orders = ORDERS.alias()
    conditions = [
        orders.c.customer_id == CUSTOMERS.c.id,
        *_purchase_filters(orders, node, evaluation),
    ]
    return _count(conditions)


def _in(
    source: Any, customer: ColumnElement[Any], node: DidEvent | Purchased, evaluation: Evaluation
) -> ColumnElement[bool]:
    """`customers.id IN (SELECT customer_id …)`: the uncorrelated form (see dialect_sql)."""
    if isinstance(node, DidEvent):
        filters = _event_filters(source, node, evaluation)
    else:
        filters = _purchase_filters(source, node, evaluation)
    chosen = select(customer).where(customer.is_not(None), *filters)
    if node.at_least > 1:
        chosen = chosen.group_by(customer).having(func.count() >= node.at_least)
    return CUSTOMERS.c.id.in_(chosen)


def _at_least(conditions: list[ColumnElement[bool]], times: int) -> ColumnElement[bool]:
    if times == 1:
        return exists().where(*conditions)
    return _count(conditions) >= times


def _count(conditions: list[ColumnElement[bool]]) -> ColumnElement[Any]:
    return select(func.count()).where(*conditions).scalar_subquery()


def _event_filters(
    events: Any, node: DidEvent, evaluation: Evaluation
) -> list[ColumnElement[bool]]:
    conditions = [events.c.event_type.in_(node.types), events.c.occurred_at < evaluation.end]
    if node.within_days is not None:
        conditions.append(events.c.occurred_at >= evaluation.window_start(node.within_days))
    if node.category is not None:
        conditions.append(events.c.category == node.category)
    if node.item is not None:
        conditions.append(events.c.item == node.item)
    if node.no_paid_order_since:
        orders = ORDERS.alias()
        # Correlated to the event one level up (SQL correlates only to the enclosing query).
        later = [
            orders.c.customer_id == events.c.customer_id,
            *_paid(orders, evaluation),
            orders.c.ordered_at >= events.c.occurred_at,
        ]
        conditions.append(not_(exists().where(*later)))
    return conditions


def _paid(orders: Any, evaluation: Evaluation) -> list[ColumnElement[bool]]:
    """Paid orders (not fully refunded) up to the end of the as-of day."""
    return [
        orders.c.status.in_(PURCHASE_STATUSES),
        orders.c.paid_fen > orders.c.refunded_fen,
        orders.c.ordered_at < evaluation.end,
    ]


def _purchase_filters(
    orders: Any, node: Purchased, evaluation: Evaluation
) -> list[ColumnElement[bool]]:
    conditions = _paid(orders, evaluation)
    if node.within_days is not None:
        conditions.append(orders.c.ordered_at >= evaluation.window_start(node.within_days))
    line_conditions = []
    lines = ORDER_LINES.alias()
    for column, wanted in (
        (lines.c.sku_id, node.sku_id),
        (lines.c.product_id, node.product_id),
        (lines.c.category_id, node.category_id),
    ):
        if wanted is not None:
            line_conditions.append(column == wanted)
    if line_conditions:
        conditions.append(exists().where(lines.c.order_id == orders.c.id, and_(*line_conditions)))
    return conditions
