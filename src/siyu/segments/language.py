"""The audience rule language, parsed: a tree of typed conditions (see docs/segments.md).

A document is `{"version": 1, "rule": CONDITION}`. Parsing (siyu.segments.parse) checks it and
resolves every name (tags, segments, SKUs, categories) to ids; compiling
(siyu.segments.compile) turns the tree into one SQL statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

VERSION = 1
VALUE_EVENT_TYPES = ("view", "follow", "favourite", "cart")
EVENT_TYPES = ("search", "view", "follow", "favourite", "cart", "share")


@dataclass(frozen=True, slots=True)
class RelativeDay:
    """A day relative to the evaluation's as-of date: `{"days_ago": 90}` is offset -90."""

    offset: int

    def on(self, as_of: date) -> date:
        return date.fromordinal(as_of.toordinal() + self.offset)


Day: TypeAlias = date | RelativeDay
Scalar: TypeAlias = bool | int | float | str | Day
Value: TypeAlias = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True, slots=True)
class All:
    path: str
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    path: str
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    path: str
    child: Node


@dataclass(frozen=True, slots=True)
class FieldTest:
    """`field op value`; `key` qualifies keyed fields (category_share, consent)."""

    path: str
    field: str
    op: str
    value: Value
    key: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class HasTag:
    path: str
    tag_id: int
    label: str


@dataclass(frozen=True, slots=True)
class InSegment:
    """Membership of another segment, evaluated live: its rule is inlined."""

    path: str
    segment_id: int
    name: str
    rule: Node


@dataclass(frozen=True, slots=True)
class DidEvent:
    """At least `at_least` behaviour events of `types` (in a window, a category, on an item);
    with `no_paid_order_since`, only events not followed by a paid order count."""

    path: str
    types: tuple[str, ...]
    category: str | None
    item: str | None
    within_days: int | None
    at_least: int
    no_paid_order_since: bool


@dataclass(frozen=True, slots=True)
class Purchased:
    """At least `at_least` paid orders (in a window; containing a SKU, product or category)."""

    path: str
    sku_id: int | None
    product_id: int | None
    category_id: int | None
    within_days: int | None
    at_least: int
    what: str = ""  # the SKU, product or category as written, for explanations


Node: TypeAlias = All | AnyOf | Not | FieldTest | HasTag | InSegment | DidEvent | Purchased
Leaf: TypeAlias = FieldTest | HasTag | DidEvent | Purchased


def leaves(node: Node) -> list[Leaf]:
    """Every leaf condition, depth first (segments inlined)."""
    if isinstance(node, All | AnyOf):
        return [leaf for child in node.children for leaf in leaves(child)]
    if isinstance(node, Not):
        return leaves(node.child)
    if isinstance(node, InSegment):
        return leaves(node.rule)
    return [node]


def tag_ids(node: Node) -> set[int]:
    """The tags a rule reads (through referenced segments too)."""
    return {leaf.tag_id for leaf in leaves(node) if isinstance(leaf, HasTag)}
