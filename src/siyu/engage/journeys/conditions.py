"""A condition step's check as a SQL clause on a customer id column (evaluated set-based)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, not_
from sqlalchemy.orm import Session

from siyu.analytics.tables import CustomerProfile
from siyu.engage.journeys.definition import Condition, ProfileCheck, SegmentCheck, TagCheck
from siyu.engage.journeys.triggers import segment_id
from siyu.segments.tables import CustomerTag, SegmentMember, Tag, TagGroup


def condition_clause(
    session: Session, condition: Condition, customer: ColumnElement[Any]
) -> ColumnElement[bool]:
    check = condition.check
    if isinstance(check, ProfileCheck):
        clause = _profile(check, customer)
    elif isinstance(check, SegmentCheck):
        clause = exists().where(
            SegmentMember.segment_id == segment_id(session, check.segment),
            SegmentMember.customer_id == customer,
        )
    else:
        clause = _tag(check, customer)
    return not_(clause) if condition.negate else clause


def _profile(check: ProfileCheck, customer: ColumnElement[Any]) -> ColumnElement[bool]:
    column = getattr(CustomerProfile, check.field)
    value = check.value
    compare: dict[str, Any] = {
        "eq": lambda: column == value,
        "ne": lambda: column != value,
        "lt": lambda: column < value,
        "lte": lambda: column <= value,
        "gt": lambda: column > value,
        "gte": lambda: column >= value,
        "in": lambda: column.in_(value if isinstance(value, list) else [value]),
    }
    test: ColumnElement[bool] = compare[check.op]()
    return exists().where(CustomerProfile.customer_id == customer, test)


def _tag(check: TagCheck, customer: ColumnElement[Any]) -> ColumnElement[bool]:
    clause = exists().where(
        CustomerTag.customer_id == customer,
        CustomerTag.tag_id == Tag.id,
        Tag.name == check.tag,
    )
    if check.group is not None:
        clause = exists().where(
            CustomerTag.customer_id == customer,
            CustomerTag.tag_id == Tag.id,
            Tag.name == check.tag,
            Tag.group_id == TagGroup.id,
            TagGroup.name == check.group,
        )
    return clause
