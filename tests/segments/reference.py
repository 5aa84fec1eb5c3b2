"""A direct Python reading of the rule language (docs/segments.md), over a World's rows:
the oracle the compiled SQL is checked against. Deliberately naive: one customer at a time."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.segments.world import AS_OF, TAGS, ZONE, Person, World

PAID = ("paid", "shipped", "completed", "partially_refunded")
QUALIFIED = ("qualified", "rewarded")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
TIMESTAMPS = ("first_order_at", "last_order_at")
DAYS = (*TIMESTAMPS, "next_purchase_on", "stage_since")


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), ZONE).astimezone(UTC)


END = start_of(AS_OF + timedelta(days=1))


class Reference:
    def __init__(self, world: World, saved: dict[str, Any]) -> None:
        self.world = world
        self.saved = saved
        self.people = world.by_id()
        clv = [
            p.profile["clv_fen"]
            for p in world.people
            if p.profile is not None and p.profile["clv_fen"] is not None
        ]
        self.clv = clv

    def members(self, document: dict[str, Any]) -> set[int]:
        return {
            person.id
            for person in self.world.people
            if person.merged_into is None and self.holds(document["rule"], person)
        }

    def holds(self, rule: dict[str, Any], person: Person) -> bool:
        if "and" in rule:
            return all(self.holds(child, person) for child in rule["and"])
        if "or" in rule:
            return any(self.holds(child, person) for child in rule["or"])
        if "not" in rule:
            return not self.holds(rule["not"], person)
        if "segment" in rule:
            return self.holds(self.saved[rule["segment"]]["rule"], person)
        if "tag" in rule:
            wanted = [
                i
                for i, (name, group) in enumerate(TAGS)
                if name == rule["tag"] and rule.get("group", group) == group
            ]
            return any(index in person.tags for index in wanted)
        if "event" in rule:
            return self.event(rule["event"], person)
        if "purchase" in rule:
            return self.purchase(rule["purchase"], person)
        return self.field(rule, person)

    def field(self, rule: dict[str, Any], person: Person) -> bool:
        name, op = rule["field"], rule["op"]
        value = self.value(rule, person)
        if op == "is_null":
            return value is None
        if op == "is_not_null":
            return value is not None
        if value is None:
            return False
        wanted = rule["value"]
        if name == "platform":
            bought = any(platform in value for platform in wanted)
            return bought if op == "in" else not bought
        if name == "consent":
            return value == wanted if op == "=" else value != wanted
        if name in TIMESTAMPS:
            value = value.astimezone(ZONE).date()
        if name == "clv_top_percent":
            wanted = [v / 100 for v in wanted] if isinstance(wanted, list) else wanted / 100
        if name in DAYS:
            wanted = [_day(v) for v in wanted] if isinstance(wanted, list) else _day(wanted)
        if op == "between":
            return wanted[0] <= value <= wanted[1]
        if op == "in":
            return value in wanted
        if op == "not_in":
            return value not in wanted
        return COMPARE[op](value, wanted)

    def value(self, rule: dict[str, Any], person: Person) -> Any:
        name, profile = rule["field"], person.profile
        if name == "consent":
            return self.consent(person, rule["key"], rule.get("purpose", "marketing"))
        if name == "referrals":
            return len(
                {self.world.people[i].id for i, status in person.invited if status in QUALIFIED}
            )
        if name == "tier":
            return person.tier
        if profile is None:
            return None
        if name == "clv_top_percent":
            mine = profile["clv_fen"]
            if mine is None:
                return None
            return sum(1 for other in self.clv if other >= mine) / len(self.clv)
        if name == "category_share":
            return profile["category_scores"].get(rule["key"], 0.0)
        if name == "platform":
            return set(profile["by_platform"])
        return profile[name]

    def consent(self, person: Person, channel: str, purpose: str) -> bool:
        decisions = [
            (hour, index, granted)
            for index, ((row_channel, row_purpose), (granted, hour)) in enumerate(
                person.consents.items()
            )
            if row_channel in (channel, "all") and row_purpose == purpose
        ]
        return bool(decisions) and max(decisions)[2]

    def event(self, spec: dict[str, Any], person: Person) -> bool:
        types = [spec["types"]] if isinstance(spec["types"], str) else spec["types"]
        start = (
            start_of(AS_OF - timedelta(days=spec["within_days"] - 1))
            if "within_days" in spec
            else None
        )
        count = 0
        for event in person.events:
            at = event["occurred_at"]
            if event["event_type"] not in types or at >= END or (start and at < start):
                continue
            if any(key in spec and event[key] != spec[key] for key in ("category", "item")):
                continue
            if spec.get("no_paid_order_since") and any(
                _paid(order) and at <= order["ordered_at"] < END for order in self._orders(person)
            ):
                continue
            count += 1
        return count >= spec.get("at_least", 1)

    def purchase(self, spec: dict[str, Any], person: Person) -> bool:
        start = (
            start_of(AS_OF - timedelta(days=spec["within_days"] - 1))
            if "within_days" in spec
            else None
        )
        count = 0
        for order in person.orders:
            at = order["ordered_at"]
            if not _paid(order) or at >= END or (start and at < start):
                continue
            if not any(
                spec.get("sku", sku) == sku and spec.get("category", category) == category
                for sku, category in order["lines"]
            ):
                continue
            count += 1
        return count >= spec.get("at_least", 1)

    def _orders(self, person: Person) -> list[dict[str, Any]]:
        return person.orders


def _paid(order: dict[str, Any]) -> bool:
    return order["status"] in PAID and order["paid_fen"] > order["refunded_fen"]


def _day(value: Any) -> Any:
    if isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(value, dict):
        ((key, count),) = value.items()
        return AS_OF + timedelta(days=-count if key == "days_ago" else count)
    return value
