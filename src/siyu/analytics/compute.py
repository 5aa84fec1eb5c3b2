"""A customer's own profile figures, from their facts (pure numpy; no database).

These depend only on the customer's own history, never on the date of the refresh or on other
customers — so an incremental refresh of the customers touched gives exactly what a full one
does. Date-dependent figures (stage, RFM, CLV) are scored afterwards over everyone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from siyu.analytics.days import local_days
from siyu.analytics.facts import Facts
from siyu.analytics.grouping import (
    Ints,
    group_max,
    group_median,
    group_min,
    group_sum,
    positions,
    unique_pairs,
)
from siyu.analytics.lifecycle import order_stage_codes, purchase_transitions
from siyu.analytics.policy import LifecyclePolicy

NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True, slots=True)
class Computed:
    customers: Ints
    columns: dict[str, NDArray[Any]]
    json_columns: dict[str, list[str]]  # JSON text, as json.dumps writes it
    top_category: list[str | None]
    transitions: tuple[Ints, Ints, Ints]  # customer, day, stage code (order-driven)
    prospect_days: Ints  # first seen (behaviour or contact) for customers never buying before


def compute(
    customers: Ints,
    facts: Facts,
    policy: LifecyclePolicy,
    zone: ZoneInfo,
    category_names: dict[int, str],
) -> Computed:
    size = customers.size
    orders = facts.orders
    at, known = positions(customers, orders["customer"])
    revenue = known & (orders["revenue"] == 1)
    purchase = known & (orders["purchase"] == 1)
    columns: dict[str, NDArray[Any]] = {
        "net_revenue_fen": group_sum(at[revenue], orders["net"][revenue], size).astype(np.int64),
        "orders": np.bincount(at[purchase], minlength=size).astype(np.int64),
        "items": _items(customers, facts.lines, size),
        "first_order_seconds": group_min(at[purchase], orders["seconds"][purchase], size, NEVER),
        "last_order_seconds": group_max(at[purchase], orders["seconds"][purchase], size, -1),
    }
    columns["aov_fen"] = np.where(
        columns["orders"] > 0, columns["net_revenue_fen"] // np.maximum(columns["orders"], 1), 0
    )
    day_customer, days = _purchase_days(at[purchase], orders["seconds"][purchase], zone)
    columns |= _intervals(day_customer, days, size, policy)
    columns |= _behaviour(customers, facts)
    removed = local_days(np.maximum(columns["removed_seconds"], 0), zone)
    columns["deleted_staff_day"] = np.where(columns["deleted_staff"], removed, -1)
    categories, top = _category_scores(customers, facts, policy, zone, category_names)
    json_columns = {
        "by_platform": _breakdown(at[revenue], orders, revenue, facts.shop_platforms, size),
        "by_shop": _breakdown(at[revenue], orders, revenue, facts.shop_names, size),
        "category_scores": categories,
    }
    columns["acquisition_platform"] = _first_platform(at[purchase], orders, purchase, size)
    transitions = purchase_transitions(customers[day_customer], days, policy)
    first_seen = np.minimum(columns["first_event_day"], columns["first_contact_day"])
    first_purchase = group_min(day_customer, days, size, NEVER)
    prospect = np.where(first_seen < first_purchase, first_seen, NEVER)
    return Computed(customers, columns, json_columns, top, transitions, prospect)


def _purchase_days(at: Ints, seconds: Ints, zone: ZoneInfo) -> tuple[Ints, Ints]:
    """Distinct (customer position, local day) pairs, sorted."""
    day = local_days(seconds, zone)
    pairs, _ = unique_pairs(at, day)
    return pairs[:, 0], pairs[:, 1]


def _intervals(at: Ints, days: Ints, size: int, policy: LifecyclePolicy) -> dict[str, NDArray[Any]]:
    count = np.bincount(at, minlength=size).astype(np.int64)
    first = group_min(at, days, size, NEVER)
    last = group_max(at, days, size, -1)
    mean = np.round(np.where(count >= 2, (last - first) / np.maximum(count - 1, 1), np.nan), 4)
    same = np.r_[False, at[1:] == at[:-1]] if at.size else np.zeros(0, dtype=bool)
    gaps = np.diff(days, prepend=0)[same].astype(np.float64)
    median = np.round(group_median(at[same], gaps, size), 4)
    own = np.where(count >= policy.min_purchases_for_own_interval, mean, np.nan)
    return {
        "purchase_days": count,
        "mean_repeat_days": mean,
        "median_repeat_days": median,
        "own_interval_days": own,
        "order_stage_code": order_stage_codes(count, policy),
        "last_purchase_day": last,
    }


def _behaviour(customers: Ints, facts: Facts) -> dict[str, NDArray[Any]]:
    size = customers.size
    events, contacts, groups = facts.events, facts.contacts, facts.groups
    at, known = positions(customers, events["customer"])
    value = np.zeros(size, dtype=bool)
    value[at[known]] = events["value"][known] == 1
    last_event = np.full(size, -1, dtype=np.int64)
    last_event[at[known]] = events["last_seconds"][known]
    first_event = np.full(size, NEVER, dtype=np.int64)
    first_event[at[known]] = events["first_seconds"][known] // 86_400
    c_at, c_known = positions(customers, contacts["customer"])
    live = np.zeros(size, dtype=bool)
    live[c_at[c_known]] = contacts["live"][c_known] == 1
    deleted = np.zeros(size, dtype=bool)
    deleted[c_at[c_known]] = contacts["deleted_by_customer"][c_known] == 1
    first_contact = np.full(size, NEVER, dtype=np.int64)
    seen = c_known & (contacts["first_seconds"] >= 0)
    first_contact[c_at[seen]] = contacts["first_seconds"][seen] // 86_400
    removed = np.full(size, -1, dtype=np.int64)
    removed[c_at[c_known]] = contacts["removed_seconds"][c_known]
    g_at, g_known = positions(customers, groups["customer"])
    in_group = np.zeros(size, dtype=bool)
    in_group[g_at[g_known]] = True
    return {
        "has_value_behaviour": value,
        "last_event_seconds": last_event,
        "first_event_day": first_event,
        "first_contact_day": first_contact,
        "reachable": live | in_group,
        "deleted_staff": deleted & ~live,
        "removed_seconds": removed,
        "has_contact": np.isin(np.arange(size), c_at[c_known]),
    }


def _items(customers: Ints, lines: dict[str, NDArray[Any]], size: int) -> Ints:
    """Σ quantity over the lines of paid orders."""
    at, known = positions(customers, lines["customer"])
    paid = known & (lines["purchase"] == 1)
    return group_sum(at[paid], lines["quantity"][paid], size).astype(np.int64)


def _breakdown(
    at: Ints,
    orders: dict[str, NDArray[Any]],
    mask: NDArray[np.bool_],
    names: dict[int, str],
    size: int,
) -> list[str]:
    """{name: {orders, net_revenue_fen}} per customer; shops sharing a name (a platform) are
    summed, names in the order of their first shop id."""
    shop, net, purchase = orders["shop"][mask], orders["net"][mask], orders["purchase"][mask]
    if at.size == 0:
        return ["{}"] * size
    shop_ids, shop_index = np.unique(shop, return_inverse=True)
    labels = [names.get(int(shop_id), str(shop_id)) for shop_id in shop_ids]
    distinct = list(dict.fromkeys(labels))
    label = np.array([distinct.index(name) for name in labels], dtype=np.int64)
    keys, inverse = unique_pairs(at, label[shop_index.reshape(-1)])
    sums = np.bincount(inverse, weights=net.astype(np.float64)).astype(np.int64)
    counts = np.bincount(inverse, weights=purchase.astype(np.float64)).astype(np.int64)
    encoded = [json.dumps(name) for name in distinct]
    fragments = [
        f'{encoded[name]}: {{"orders": {count}, "net_revenue_fen": {total}}}'
        for name, count, total in zip(
            keys[:, 1].tolist(), counts.tolist(), sums.tolist(), strict=True
        )
    ]
    return json_objects(keys[:, 0], fragments, size)


def json_objects(position: Ints, fragments: list[str], size: int) -> list[str]:
    """One JSON object per customer from `key: value` fragments sorted by position."""
    result = ["{}"] * size
    if position.size == 0:
        return result
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    ends = np.r_[starts[1:], position.size]
    for where, start, end in zip(
        position[starts].tolist(), starts.tolist(), ends.tolist(), strict=True
    ):
        result[where] = "{" + ", ".join(fragments[start:end]) + "}"
    return result


def _category_scores(
    customers: Ints, facts: Facts, policy: LifecyclePolicy, zone: ZoneInfo, names: dict[int, str]
) -> tuple[list[str], list[str | None]]:
    """Share of spend per category, each purchase weighted by its recency (half-life decay).
    Weights are relative to the customer's own last purchase, so shares do not drift with the
    refresh date: exp(-k·(as_of−d)) normalised over a customer is the same for any as_of.
    The top categories by share (then name), as JSON text, and the first one's name."""
    size = customers.size
    lines = facts.lines
    at, known = positions(customers, lines["customer"])
    keep = known & (lines["net"] > 0) & (lines["category"] >= 0) & (lines["paid_status"] == 1)
    if not keep.any():
        return ["{}"] * size, [None] * size
    at, category = at[keep], lines["category"][keep]
    day = local_days(lines["seconds"][keep], zone)
    newest = group_max(at, day, size, 0)
    weight = lines["net"][keep] * np.exp(
        -math.log(2) * (newest[at] - day) / policy.category_half_life_days
    )
    keys, inverse = unique_pairs(at, category)
    scores = np.bincount(inverse, weights=weight)
    position = keys[:, 0].astype(np.int64)
    totals = group_sum(position, scores, size)
    shares = np.round(scores / totals[position], 4)
    category_ids, category_index = np.unique(keys[:, 1], return_inverse=True)
    labels = [names.get(int(category_id), str(category_id)) for category_id in category_ids]
    rank = np.argsort(np.argsort(np.array(labels, dtype=object), kind="stable"), kind="stable")
    label_rank = rank[category_index.reshape(-1)]
    order = np.lexsort((label_rank, -shares, position))
    position, shares, label_index = (
        position[order],
        shares[order],
        category_index.reshape(-1)[order],
    )
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    within = np.arange(position.size) - np.repeat(starts, np.diff(np.r_[starts, position.size]))
    top = within < policy.top_categories
    position, shares, label_index = position[top], shares[top], label_index[top]
    encoded = [json.dumps(label) for label in labels]
    fragments = [
        f"{encoded[index]}: {share!r}"
        for index, share in zip(label_index.tolist(), shares.tolist(), strict=True)
    ]
    first: list[str | None] = [None] * size
    for where, index in zip(
        position[within[top] == 0].tolist(), label_index[within[top] == 0].tolist(), strict=True
    ):
        first[where] = labels[index]
    return json_objects(position, fragments, size), first


def _first_platform(
    at: Ints, orders: dict[str, NDArray[Any]], mask: NDArray[np.bool_], size: int
) -> Ints:
    """The shop of each customer's first purchase (-1 when none); of simultaneous first
    purchases, the one read last. Two linear passes, no sort."""
    result = np.full(size, -1, dtype=np.int64)
    if at.size == 0:
        return result
    seconds, shop = orders["seconds"][mask], orders["shop"][mask]
    first = group_min(at, seconds, size, NEVER)
    rows = np.flatnonzero(seconds == first[at])
    latest = group_max(at[rows], rows, size, -1)
    chosen = latest >= 0
    result[chosen] = shop[latest[chosen]]
    return result
