"""Conditions in words, for explanations: `last_order_at < 2026-03-17 (90 days ago)`."""

from __future__ import annotations

from typing import Any

from siyu.segments.evaluation import Evaluation
from siyu.segments.language import DidEvent, FieldTest, HasTag, Leaf, Purchased, RelativeDay


def describe(leaf: Leaf, evaluation: Evaluation) -> str:
    if isinstance(leaf, FieldTest):
        return _field(leaf, evaluation)
    if isinstance(leaf, HasTag):
        return f"has tag {leaf.label}"
    if isinstance(leaf, DidEvent):
        return _event(leaf)
    return _purchase(leaf)


def _field(test: FieldTest, evaluation: Evaluation) -> str:
    name = test.field + (f"[{test.key}]" if test.key else "")
    if test.purpose:
        name += f" for {test.purpose}"
    if test.op in ("is_null", "is_not_null"):
        return f"{name} {test.op.replace('_', ' ')}"
    return f"{name} {test.op} {_value(test.value, evaluation)}"


def _value(value: Any, evaluation: Evaluation) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_value(item, evaluation) for item in value) + "]"
    if isinstance(value, RelativeDay):
        day = evaluation.day(value)
        if value.offset == 0:
            return f"{day} (the as-of day)"
        words = f"{-value.offset} days ago" if value.offset < 0 else f"in {value.offset} days"
        return f"{day} ({words})"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _window(days: int | None) -> str:
    return f" in the last {days} days" if days else " ever"


def _times(count: int) -> str:
    return "" if count == 1 else f" at least {count} times"


def _event(node: DidEvent) -> str:
    text = "event " + "|".join(node.types)
    if node.category:
        text += f" in category {node.category}"
    if node.item:
        text += f" on item {node.item}"
    text += _window(node.within_days) + _times(node.at_least)
    return text + (", with no paid order since" if node.no_paid_order_since else "")


def _purchase(node: Purchased) -> str:
    what = f" with {node.what}" if node.what else ""
    return f"paid order{what}{_window(node.within_days)}{_times(node.at_least)}"
