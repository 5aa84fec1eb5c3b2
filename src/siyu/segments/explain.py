"""Why a customer is in a segment, or out of it: the rule's tree with true/false per condition
and the customer's actual value at each leaf.

All leaves are evaluated in SQL for that one customer, in one statement (a column per leaf),
with the same expressions the audience uses; and/or/not combine them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.errors import NotFoundError
from siyu.segments.behaviour_sql import event_count, purchase_count
from siyu.segments.compile import customers_and_profiles, leaf_predicate, predicate
from siyu.segments.evaluation import Evaluation
from siyu.segments.field_sql import field_sql
from siyu.segments.fields import FIELDS, Kind
from siyu.segments.labels import describe
from siyu.segments.language import (
    All,
    AnyOf,
    DidEvent,
    FieldTest,
    HasTag,
    InSegment,
    Leaf,
    Node,
    Not,
    leaves,
)
from siyu.segments.tables_sql import CUSTOMERS


@dataclass(frozen=True, slots=True)
class Explanation:
    path: str
    condition: str
    holds: bool
    value: Any = None
    children: tuple[Explanation, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "condition": self.condition, "holds": self.holds}
        if self.value is not None:
            data["value"] = self.value
        if self.children:
            data["children"] = [child.as_dict() for child in self.children]
        return data


@dataclass(frozen=True, slots=True)
class CustomerExplanation:
    customer_id: int
    as_of: date
    is_match: bool  # the rule holds now (and the customer was not merged away)
    merged_into_id: int | None
    tree: Explanation

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "as_of": self.as_of.isoformat(),
            "is_match": self.is_match,
            "merged_into_id": self.merged_into_id,
            "tree": self.tree.as_dict(),
        }


def explain(
    session: Session, *, rule: Node, customer_id: int, evaluation: Evaluation
) -> CustomerExplanation:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer {customer_id}")
    parts = leaves(rule)
    columns: list[ColumnElement[Any]] = [_flag(predicate(rule, evaluation))]
    for leaf in parts:
        columns += [_flag(leaf_predicate(leaf, evaluation)), _value(leaf, evaluation)]
    row = session.execute(
        select(*columns).select_from(customers_and_profiles()).where(CUSTOMERS.c.id == customer_id)
    ).one()
    results = iter(
        (bool(row[1 + 2 * i]), _shown(leaf, row[2 + 2 * i], evaluation))
        for i, leaf in enumerate(parts)
    )
    tree = _build(rule, results, evaluation)
    assert tree.holds == bool(row[0]), "the explanation disagrees with the audience"
    return CustomerExplanation(
        customer_id,
        evaluation.as_of,
        tree.holds and customer.merged_into_id is None,
        customer.merged_into_id,
        tree,
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return case((condition, 1), else_=0)


def _value(leaf: Leaf, evaluation: Evaluation) -> ColumnElement[Any]:
    if isinstance(leaf, FieldTest):
        return field_sql(leaf).value
    if isinstance(leaf, DidEvent):
        return event_count(leaf, evaluation)
    if isinstance(leaf, HasTag):
        return _flag(leaf_predicate(leaf, evaluation))
    return purchase_count(leaf, evaluation)


def _shown(leaf: Leaf, value: Any, evaluation: Evaluation) -> Any:
    """The customer's value as an explanation shows it (JSON-friendly)."""
    if value is None:
        return None
    if isinstance(leaf, HasTag):
        return bool(value)
    if not isinstance(leaf, FieldTest):
        return int(value)
    kind = FIELDS[leaf.field].kind
    if kind == Kind.BOOLEAN:
        return bool(value)
    if kind == Kind.SET:
        return sorted(value)
    if isinstance(value, datetime):
        return evaluation.local_day(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return round(float(value), 4)
    return value


def _build(node: Node, results: Any, evaluation: Evaluation) -> Explanation:
    if isinstance(node, All | AnyOf):
        children = tuple(_build(child, results, evaluation) for child in node.children)
        combine = all if isinstance(node, All) else any
        name = "and" if isinstance(node, All) else "or"
        return Explanation(node.path, name, combine(c.holds for c in children), None, children)
    if isinstance(node, Not):
        child = _build(node.child, results, evaluation)
        return Explanation(node.path, "not", not child.holds, None, (child,))
    if isinstance(node, InSegment):
        child = _build(node.rule, results, evaluation)
        return Explanation(node.path, f"in segment {node.name}", child.holds, None, (child,))
    holds, value = next(results)
    return Explanation(node.path, describe(node, evaluation), holds, value)
