"""The condition tree → one SQL statement (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The audience is `SELECT customers.id FROM customers LEFT JOIN customer_profiles … WHERE
customers.merged_into_id IS NULL AND <predicate>`; behaviour, purchases and tags are correlated
EXISTS subqueries, segments are inlined. Nothing is evaluated customer by customer in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, exists, func, not_, or_, select
from sqlalchemy.sql.visitors import replacement_traverse

from siyu.segments.behaviour_sql import event_predicate, purchase_predicate, tag_predicate
from siyu.segments.evaluation import Evaluation
from siyu.segments.field_sql import field_predicate
from siyu.segments.language import (
    All,
    AnyOf,
    DidEvent,
    FieldTest,
    HasTag,
    InSegment,
    Node,
    Not,
    Purchased,
)
from siyu.segments.tables_sql import CUSTOMERS, PROFILES


def predicate(node: Node, evaluation: Evaluation) -> ColumnElement[bool]:
    """True for the customers of the enclosing query (customers ⟕ profiles) the rule holds for."""
    if isinstance(node, All):
        return and_(*(predicate(child, evaluation) for child in node.children))
    if isinstance(node, AnyOf):
        return or_(*(predicate(child, evaluation) for child in node.children))
    if isinstance(node, Not):
        return not_(predicate(node.child, evaluation))
    if isinstance(node, InSegment):
        return predicate(node.rule, evaluation)
    return leaf_predicate(node, evaluation)


def leaf_predicate(
    node: FieldTest | HasTag | DidEvent | Purchased, evaluation: Evaluation
) -> ColumnElement[bool]:
    if isinstance(node, FieldTest):
        return field_predicate(node, evaluation)
    if isinstance(node, HasTag):
        return tag_predicate(node)
    if isinstance(node, DidEvent):
        return event_predicate(node, evaluation)
    return purchase_predicate(node, evaluation)


def customers_and_profiles() -> FromClause:
    return CUSTOMERS.outerjoin(PROFILES, PROFILES.c.customer_id == CUSTOMERS.c.id)


def audience(node: Node, evaluation: Evaluation) -> Select[Any]:
    """The ids of the customers the rule holds for (merged-away customers never)."""
    subject, source, conditions = _query(node, evaluation)
    return select(subject).select_from(source).where(*conditions)


def audience_count(node: Node, evaluation: Evaluation) -> Select[Any]:
    _, source, conditions = _query(node, evaluation)
    return select(func.count()).select_from(source).where(*conditions)


def _query(
    node: Node, evaluation: Evaluation
) -> tuple[ColumnElement[Any], FromClause, list[ColumnElement[bool]]]:
    """What to select from, and the conditions. A rule that only holds for customers with a
    profile is read from the profiles alone, merged-away customers excluded by an anti-join on
    the few of them: no pass over every customer (the planners then start from the most
    selective condition). Otherwise every customer is a candidate."""
    condition = predicate(node, evaluation)
    if not requires_profile(node):
        return (
            CUSTOMERS.c.id,
            customers_and_profiles(),
            [CUSTOMERS.c.merged_into_id.is_(None), condition],
        )
    subject = PROFILES.c.customer_id
    merged = CUSTOMERS.alias("merged_customers")
    not_merged = ~exists().where(merged.c.id == subject, merged.c.merged_into_id.is_not(None))
    options: dict[str, Any] = {}
    on_profiles = replacement_traverse(condition, options, _on_profiles)
    return subject, PROFILES, [not_merged, on_profiles]


def _on_profiles(element: Any, **_: Any) -> Any:
    """customers.id → customer_profiles.customer_id, wherever a condition reads it."""
    return PROFILES.c.customer_id if element is CUSTOMERS.c.id else None


def requires_profile(node: Node) -> bool:
    """Whether the rule can only hold for a customer who has a profile."""
    if isinstance(node, All):
        return any(requires_profile(child) for child in node.children)
    if isinstance(node, AnyOf):
        return all(requires_profile(child) for child in node.children)
    if isinstance(node, InSegment):
        return requires_profile(node.rule)
    if isinstance(node, FieldTest):
        return node.op != "is_null" and node.field not in ("consent", "referrals", "tier")
    return False
