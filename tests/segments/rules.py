"""A Hypothesis strategy over the rule language: every condition kind, operator and value
form, with values drawn from the same pools as the World's data (so rules often hit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import strategies as st

from siyu.analytics.rfm import SEGMENTS as RFM_SEGMENTS
from siyu.analytics.tables import STAGES
from tests.segments.world import (
    AS_OF,
    CATEGORIES,
    CHANNELS,
    EVENT_TYPES,
    MONEY,
    PLATFORMS,
    SHARES,
    SKUS,
    TIERS,
)

NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
NULL_OPS = ("is_null", "is_not_null")

relative_days = st.one_of(
    st.integers(0, 20).map(lambda n: {"days_ago": n}),
    st.integers(0, 20).map(lambda n: {"days_ahead": n}),
)
absolute_days = st.integers(-20, 20).map(
    lambda n: date.fromordinal(AS_OF.toordinal() + n).isoformat()
)
day_values = st.one_of(relative_days, absolute_days)


def _day_key(value: Any) -> int:
    if isinstance(value, dict):
        ((key, count),) = value.items()
        return -count if key == "days_ago" else count
    return 0


def _between(values: st.SearchStrategy[Any], *, days: bool = False) -> st.SearchStrategy[Any]:
    def ordered(pair: tuple[Any, Any]) -> list[Any]:
        low, high = pair
        if days:
            same_kind = isinstance(low, dict) == isinstance(high, dict)
            if same_kind and (
                _day_key(low) > _day_key(high) if isinstance(low, dict) else low > high
            ):
                low, high = high, low
            return [low, high]
        return sorted(pair)

    return st.tuples(values, values).map(ordered)


def _field(name: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    rule = {"field": name, "op": op, **extra}
    if op not in NULL_OPS:
        rule["value"] = value
    return rule


@st.composite
def numeric(draw: st.DrawFn, name: str, values: st.SearchStrategy[Any], *, integer: bool) -> Any:
    ops = (*NUMERIC_OPS, "between", *NULL_OPS) + (("in", "not_in") if integer else ())
    op = draw(st.sampled_from(ops))
    if op == "between":
        return _field(name, op, draw(_between(values)))
    if op in ("in", "not_in"):
        return _field(name, op, draw(st.lists(values, min_size=1, max_size=3)))
    return _field(name, op, draw(values) if op not in NULL_OPS else None)


@st.composite
def text(draw: st.DrawFn, name: str, choices: tuple[str, ...]) -> Any:
    op = draw(st.sampled_from(("=", "!=", "in", "not_in", *NULL_OPS)))
    values = st.sampled_from(choices)
    if op in ("in", "not_in"):
        return _field(name, op, draw(st.lists(values, min_size=1, max_size=3)))
    return _field(name, op, draw(values) if op not in NULL_OPS else None)


@st.composite
def day(draw: st.DrawFn, name: str) -> Any:
    op = draw(st.sampled_from((*NUMERIC_OPS, "between", *NULL_OPS)))
    if op == "between":
        return _field(name, op, draw(_between(day_values, days=True)))
    return _field(name, op, draw(day_values) if op not in NULL_OPS else None)


@st.composite
def fields(draw: st.DrawFn, optional: frozenset[str]) -> Any:
    choices = [
        text("stage", STAGES),
        text("rfm_segment", RFM_SEGMENTS),
        numeric("rfm_r", st.integers(1, 5), integer=True),
        numeric("rfm_m", st.integers(1, 5), integer=True),
        numeric("orders", st.integers(0, 5), integer=True),
        numeric("net_revenue_fen", st.sampled_from(MONEY), integer=True),
        numeric("clv_fen", st.sampled_from(MONEY), integer=True),
        numeric("clv_top_percent", st.sampled_from((0, 10, 25, 50, 75, 100)), integer=False),
        numeric("p_alive", st.sampled_from(SHARES), integer=False),
        day("first_order_at"),
        day("last_order_at"),
        day("next_purchase_on"),
        day("stage_since"),
        text("top_category", CATEGORIES),
        text("acquisition_channel", CHANNELS),
        st.builds(
            lambda key, rule: rule | {"key": key},
            st.sampled_from(CATEGORIES),
            numeric("category_share", st.sampled_from(SHARES), integer=False),
        ),
        st.builds(
            lambda op, value: _field("platform", op, value),
            st.sampled_from(("in", "not_in")),
            st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=2),
        ),
        st.builds(
            lambda name, op, value: _field(name, op, value),
            st.sampled_from(("reachable", "has_value_behaviour")),
            st.sampled_from(("=", "!=")),
            st.booleans(),
        ),
    ]
    if "consents" in optional:
        choices.append(
            st.builds(
                lambda key, op, value, purpose: _field("consent", op, value, key=key, **purpose),
                st.sampled_from(("sms", "wecom")),
                st.sampled_from(("=", "!=")),
                st.booleans(),
                st.sampled_from(({}, {"purpose": "marketing"}, {"purpose": "service"})),
            )
        )
    if "referrals" in optional:
        choices.append(numeric("referrals", st.integers(0, 3), integer=True))
    if "member_tiers" in optional:
        choices.append(text("tier", TIERS))
    return draw(st.one_of(choices))


def _options(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=strategies)


events = st.builds(
    lambda types, options: {"event": {"types": types, **options}},
    st.one_of(
        st.sampled_from(EVENT_TYPES), st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=3)
    ),
    _options(
        category=st.sampled_from(CATEGORIES),
        item=st.sampled_from(("i1", "i2")),
        within_days=st.sampled_from((1, 7, 14)),
        at_least=st.integers(1, 3),
        no_paid_order_since=st.booleans(),
    ),
)
purchases = st.builds(
    lambda options: {"purchase": options},
    _options(
        sku=st.sampled_from(SKUS),
        category=st.sampled_from(CATEGORIES),
        within_days=st.sampled_from((1, 7, 14)),
        at_least=st.integers(1, 2),
    ),
)
tags = st.sampled_from(({"tag": "a"}, {"tag": "b", "group": "g1"}, {"tag": "c"}))


def rules(optional: frozenset[str], *, segments: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        fields(optional),
        fields(optional),
        tags,
        events,
        purchases,
        *([st.sampled_from([{"segment": name} for name in segments])] if segments else []),
    )
    return st.recursive(leaves, _compound, max_leaves=6)


def _compound(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"and": items}),
        st.lists(children, min_size=1, max_size=3).map(lambda items: {"or": items}),
        children.map(lambda child: {"not": child}),
    )


def documents(optional: frozenset[str], **kwargs: Any) -> st.SearchStrategy[dict[str, Any]]:
    return rules(optional, **kwargs).map(lambda rule: {"version": 1, "rule": rule})
