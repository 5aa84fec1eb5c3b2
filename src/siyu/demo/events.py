"""Behaviour in the mini-program: search, view, follow, favourite, cart and share events.

Sessions come from three kinds of visitors: prospects who browse but never order (the
semi-private members), buyers shortly before a mini-program order (the funnel that ends in it),
and buyers who joined WeCom and come back to look around. Every session is a small funnel:
maybe a search, some views, maybe a favourite, a cart or a share; a first visit may follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siyu.demo.catalog import SKUS, ShopKey, sku_arrays
from siyu.demo.clock import DAY, MISSING, Calendar, days_to_seconds
from siyu.demo.orders import Orders
from siyu.ingest.records import EventType

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]
PROSPECT_SESSIONS = 1.3  # Poisson mean of visits after the first
PROSPECT_RETURN_DAYS = 20.0
MEMBER_SESSIONS = 1.5
MEMBER_RETURN_DAYS = 30.0
SEARCH_SHARE, FAVOURITE_SHARE, SHARE_SHARE, FOLLOW_SHARE = 0.35, 0.18, 0.04, 0.3
BROWSE_CART_SHARE, FUNNEL_CART_SHARE = 0.15, 0.75
KEYWORDS = {
    "洁面": ("氨基酸洗面奶", "温和洁面"),
    "精华": ("修护精华", "积雪草精华", "烟酰胺"),
    "面霜": ("修护面霜", "敏感肌面霜"),
    "防晒": ("防晒霜", "物理防晒"),
    "面膜": ("补水面膜", "修护面膜"),
    "套装": ("护肤套装", "礼盒"),
    "小样": ("小样", "试用装"),
}
EVENT_TYPES: tuple[EventType, ...] = tuple(EventType)


@dataclass(frozen=True, slots=True)
class Sessions:
    person: Int
    start: Int
    sku: Int
    cart_share: NDArray[np.float64]
    first: Bool  # the person's first visit


@dataclass(frozen=True, slots=True)
class Events:
    """One entry per event, sorted by time; `sku` is -1 for a follow, `keyword` set for a search."""

    person: Int
    kind: Int  # index into EVENT_TYPES
    sku: Int
    at: Int
    keyword: list[str]


def prospect_first_visits(rng: np.random.Generator, count: int, calendar: Calendar) -> Int:
    days = calendar.days * rng.random(count) ** (1 / 1.6)
    return calendar.first_second + days_to_seconds(rng, days)


def simulate_events(
    rng: np.random.Generator,
    orders: Orders,
    prospects: Int,
    first_visits: Int,
    calendar: Calendar,
) -> Events:
    sessions = [
        _returning(rng, prospects, first_visits, PROSPECT_SESSIONS, PROSPECT_RETURN_DAYS, True),
        _before_mini_orders(rng, orders),
    ]
    joined = np.flatnonzero(orders.channels.joined_at != MISSING)
    sessions.append(
        _returning(
            rng,
            joined,
            orders.channels.joined_at[joined],
            MEMBER_SESSIONS,
            MEMBER_RETURN_DAYS,
            False,
        )
    )
    merged = Sessions(*(np.concatenate([getattr(s, f) for s in sessions]) for f in _FIELDS))
    return _expand(rng, merged, calendar)


_FIELDS = ("person", "start", "sku", "cart_share", "first")


def _returning(
    rng: np.random.Generator,
    persons: Int,
    first: Int,
    mean_returns: float,
    gap_days: float,
    first_is_visit: bool,
) -> Sessions:
    """Visits from `first` on: the first one (if it is a visit) and Poisson-many returns."""
    returns = rng.poisson(mean_returns, persons.size)
    visits = returns + (1 if first_is_visit else 0)
    who = np.repeat(np.arange(persons.size), visits)
    offset = np.arange(who.size) - np.repeat(np.cumsum(visits) - visits, visits)
    gaps = rng.exponential(gap_days * DAY, who.size).astype(np.int64)
    if first_is_visit:
        gaps[offset == 0] = 0
    start = first[who] + _running_sum(gaps, who)
    is_first = (offset == 0) & first_is_visit
    return Sessions(persons[who], start, _popular_skus(rng, who.size), _cart(who.size), is_first)


def _before_mini_orders(rng: np.random.Generator, orders: Orders) -> Sessions:
    chosen = np.flatnonzero(orders.shop == ShopKey.MINI)
    lead = rng.uniform(5 * 60, 2 * DAY, chosen.size).astype(np.int64)
    first_line = orders.lines.sku[orders.line_start[chosen]]
    share = np.full(chosen.size, FUNNEL_CART_SHARE)
    return Sessions(
        orders.buyer[chosen],
        orders.ordered_at[chosen] - lead,
        first_line,
        share,
        np.zeros(chosen.size, dtype=bool),
    )


def _expand(rng: np.random.Generator, sessions: Sessions, calendar: Calendar) -> Events:
    count = sessions.person.size
    views = 1 + rng.poisson(1.5, count)
    parts = [
        _step(rng, sessions, rng.random(count) < SEARCH_SHARE, EventType.SEARCH, -60, -10),
        _step(rng, sessions, views, EventType.VIEW, 0, 900),
        _step(rng, sessions, rng.random(count) < FAVOURITE_SHARE, EventType.FAVOURITE, 60, 1000),
        _step(rng, sessions, rng.random(count) < sessions.cart_share, EventType.CART, 120, 1200),
        _step(rng, sessions, rng.random(count) < SHARE_SHARE, EventType.SHARE, 60, 1200),
        _step(
            rng,
            sessions,
            sessions.first & (rng.random(count) < FOLLOW_SHARE),
            EventType.FOLLOW,
            0,
            300,
        ),
    ]
    person, kind, sku, at = (np.concatenate([p[i] for p in parts]) for i in range(4))
    inside = (at >= calendar.first_second) & (at < calendar.now)
    order = np.argsort(at[inside], kind="stable")
    person, kind, sku, at = (a[inside][order] for a in (person, kind, sku, at))
    keyword = _keywords(rng, kind, sku)
    return Events(person=person, kind=kind, sku=sku, at=at, keyword=keyword)


def _step(
    rng: np.random.Generator,
    sessions: Sessions,
    counts: Int | Bool,
    kind: EventType,
    low: int,
    high: int,
) -> tuple[Int, Int, Int, Int]:
    which = np.repeat(np.arange(sessions.person.size), counts.astype(np.int64))
    sku = sessions.sku[which].copy()
    if kind is EventType.VIEW:  # some views wander off to another product
        wander = rng.random(which.size) < 0.3
        sku[wander] = _popular_skus(rng, int(wander.sum()))
    if kind is EventType.FOLLOW:
        sku[:] = -1
    at = sessions.start[which] + rng.integers(low, high, which.size)
    kinds = np.full(which.size, EVENT_TYPES.index(kind), dtype=np.int64)
    return sessions.person[which], kinds, sku, at


def _keywords(rng: np.random.Generator, kind: Int, sku: Int) -> list[str]:
    searches = (kind == EVENT_TYPES.index(EventType.SEARCH)).tolist()
    picks = rng.integers(0, 3, kind.size).tolist()
    result = []
    for is_search, sku_index, pick in zip(searches, sku.tolist(), picks, strict=True):
        if is_search:
            options = KEYWORDS[SKUS[sku_index].category]
            result.append(options[pick % len(options)])
        else:
            result.append("")
    return result


def _popular_skus(rng: np.random.Generator, count: int) -> Int:
    _, popularity = sku_arrays()
    return rng.choice(len(SKUS), size=count, p=popularity).astype(np.int64)


def _cart(count: int) -> NDArray[np.float64]:
    return np.full(count, BROWSE_CART_SHARE)


def _running_sum(values: Int, groups: Int) -> Int:
    """Cumulative sum restarting at each new group (groups sorted)."""
    total = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if groups.size else groups
    base = np.repeat(total[starts] - values[starts], np.diff(np.r_[starts, groups.size]))
    return total - base
