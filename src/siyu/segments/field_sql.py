"""Field conditions in SQL: a value expression per field, and the comparison on it.

Every comparison is two-valued: a missing value (no profile yet, no CLV, no RFM score) makes
the comparison false, never NULL, so `not` means what it says. Use `is_null` to find them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    distinct,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
)

from siyu.segments.evaluation import Evaluation
from siyu.segments.json_sql import json_number
from siyu.segments.language import Day, FieldTest, RelativeDay
from siyu.segments.tables_sql import (
    CONSENT_ALL_CHANNELS,
    CONSENTS,
    CUSTOMERS,
    DEFAULT_CONSENT_PURPOSE,
    MEMBER_TIERS,
    PROFILES,
    QUALIFIED_REFERRAL_STATUSES,
    REFERRALS,
    TIER_LEVELS,
)

TIMESTAMP_FIELDS = ("first_order_at", "last_order_at")
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class FieldSql:
    value: ColumnElement[Any]  # what an explanation shows
    present: ColumnElement[bool]  # the value is known


def field_predicate(test: FieldTest, evaluation: Evaluation) -> ColumnElement[bool]:
    if test.field == "clv_top_percent":
        return _clv_rank_predicate(test)
    if test.field == "platform":
        return _platform_predicate(test)
    if test.field == "consent":
        return _consent_predicate(test)
    sql = field_sql(test)
    if test.op == "is_null":
        return not_(sql.present)
    if test.op == "is_not_null":
        return sql.present
    if test.field in TIMESTAMP_FIELDS:
        return and_(sql.present, _day_bounds(sql.value, test, evaluation))
    values = _resolved(test.value, evaluation)
    return and_(sql.present, _compare(sql.value, test.op, values))


def field_sql(test: FieldTest) -> FieldSql:
    """The field's value for the customer of the enclosing query (customers ⟕ profiles)."""
    name = test.field
    if name == "clv_top_percent":
        share = _clv_ranked()
        value = (
            select(share.c.share * 100).where(share.c.customer_id == CUSTOMERS.c.id)
        ).scalar_subquery()
        return FieldSql(value, value.is_not(None))
    if name == "category_share":
        share = json_number(PROFILES.c.category_scores, literal(test.key, String()))
        return FieldSql(func.coalesce(share, 0.0), PROFILES.c.customer_id.is_not(None))
    if name == "platform":
        return FieldSql(PROFILES.c.by_platform, PROFILES.c.customer_id.is_not(None))
    if name == "consent":
        granted = case((_consent_granted(test), True), else_=False)
        return FieldSql(granted, true())
    if name == "referrals":
        counted = (
            select(func.count(distinct(REFERRALS.c.invitee_id)))
            .where(
                REFERRALS.c.inviter_id == CUSTOMERS.c.id,
                REFERRALS.c.status.in_(QUALIFIED_REFERRAL_STATUSES),
            )
            .scalar_subquery()
        )
        return FieldSql(counted, true())
    if name == "tier":
        level = (
            select(TIER_LEVELS.c.code)
            .join(MEMBER_TIERS, MEMBER_TIERS.c.tier_id == TIER_LEVELS.c.id)
            .where(MEMBER_TIERS.c.customer_id == CUSTOMERS.c.id)
            .scalar_subquery()
        )
        return FieldSql(level, level.is_not(None))
    column = PROFILES.c[name]
    return FieldSql(column, column.is_not(None))


def _resolved(value: Any, evaluation: Evaluation) -> Any:
    if isinstance(value, tuple):
        return tuple(_resolved(item, evaluation) for item in value)
    return evaluation.day(value) if isinstance(value, RelativeDay) else value


def _compare(expr: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    if isinstance(value, bool):
        value = true() if value else false()
    result: ColumnElement[bool]
    if op == "between":
        result = expr.between(value[0], value[1])
    elif op == "in":
        result = expr.in_(value)
    elif op == "not_in":
        result = expr.not_in(value)
    else:
        result = COMPARISONS[op](expr, value)
    return result


def _day_bounds(
    expr: ColumnElement[Any], test: FieldTest, evaluation: Evaluation
) -> ColumnElement[bool]:
    """A timestamp compared by its local day, with index-friendly instant bounds."""

    def start(day: Day, plus: int = 0) -> datetime:
        return evaluation.start_of(evaluation.day(day) + timedelta(days=plus))

    op, value = test.op, test.value
    if op == "between":
        assert isinstance(value, tuple)
        return and_(expr >= start(_day(value[0])), expr < start(_day(value[1]), 1))
    day = _day(value)
    within = and_(expr >= start(day), expr < start(day, 1))
    bounds = {
        "=": within,
        "!=": not_(within),
        "<": expr < start(day),
        "<=": expr < start(day, 1),
        ">": expr >= start(day, 1),
        ">=": expr >= start(day),
    }
    return bounds[op]


def _day(value: Any) -> Day:
    assert isinstance(value, date | RelativeDay), value
    return value


def _clv_ranked() -> Any:
    """Buyers with a CLV ranked by it: share = the fraction with a CLV at least as high."""
    ranked = PROFILES.alias("clv_ranked_profiles")
    return (
        select(
            ranked.c.customer_id,
            type_coerce(func.cume_dist().over(order_by=ranked.c.clv_fen.desc()), Float).label(
                "share"
            ),
        )
        .where(ranked.c.clv_fen.is_not(None))
        .subquery("clv_ranked")
    )


def _clv_rank_predicate(test: FieldTest) -> ColumnElement[bool]:
    ranked = _clv_ranked()
    if test.op in ("is_null", "is_not_null"):
        ranked_ids = select(ranked.c.customer_id)
        return (
            CUSTOMERS.c.id.in_(ranked_ids)
            if test.op == "is_not_null"
            else CUSTOMERS.c.id.not_in(ranked_ids)
        )
    fraction = _percent_to_fraction(test.value)
    inside = select(ranked.c.customer_id).where(_compare(ranked.c.share, test.op, fraction))
    return CUSTOMERS.c.id.in_(inside)


def _percent_to_fraction(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_percent_to_fraction(item) for item in value)
    return value / 100


def _platform_predicate(test: FieldTest) -> ColumnElement[bool]:
    assert isinstance(test.value, tuple)
    bought = or_(*(_bought_on(str(platform)) for platform in test.value))
    if test.op == "in":
        return bought
    return and_(PROFILES.c.customer_id.is_not(None), not_(bought))


def _bought_on(platform: str) -> ColumnElement[bool]:
    bought: ColumnElement[bool] = PROFILES.c.by_platform[platform].as_string().is_not(None)
    return bought


def _consent_granted(test: FieldTest) -> ColumnElement[bool]:
    """The latest decision for the channel (or 'all') and purpose is a grant."""
    decision, later = CONSENTS.alias("decision"), CONSENTS.alias("later_refusal")
    channels = (str(test.key), CONSENT_ALL_CHANNELS)
    purpose = test.purpose or DEFAULT_CONSENT_PURPOSE
    refused_later = exists().where(
        later.c.customer_id == decision.c.customer_id,  # correlate one level up, not two
        later.c.channel.in_(channels),
        later.c.purpose == purpose,
        later.c.granted == false(),
        or_(
            later.c.at > decision.c.at,
            and_(later.c.at == decision.c.at, later.c.id > decision.c.id),
        ),
    )
    return exists().where(
        decision.c.customer_id == CUSTOMERS.c.id,
        decision.c.channel.in_(channels),
        decision.c.purpose == purpose,
        decision.c.granted == true(),
        not_(refused_later),
    )


def _consent_predicate(test: FieldTest) -> ColumnElement[bool]:
    granted = _consent_granted(test)
    wanted = bool(test.value) if test.op == "=" else not bool(test.value)
    return granted if wanted else not_(granted)
