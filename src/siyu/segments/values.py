"""Checking a field condition's operator and value against the field's kind."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

from siyu.segments.errors import RuleError
from siyu.segments.errors import RuleErrorCode as Code
from siyu.segments.fields import NULL_TESTS, OPERATORS, FieldSpec, Kind
from siyu.segments.language import RelativeDay, Scalar, Value

if TYPE_CHECKING:
    from siyu.segments.parse import Catalogue

MAX_DAYS_OFFSET = 36_600


def json_type(value: Any) -> str:
    """How a JSON value's type reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    return "array" if isinstance(value, list) else "object"


def parse_field_value(
    body: dict[str, Any], path: str, spec: FieldSpec, catalogue: Catalogue
) -> tuple[str, Value]:
    op = body["op"]
    allowed = OPERATORS[spec.kind]
    if op not in allowed:
        shown = repr(op) if isinstance(op, str) else json_type(op)
        raise RuleError(
            f"{path}.op",
            f"operator {shown} does not apply to {spec.name} "
            f"({spec.kind}): use one of {', '.join(allowed)}",
            Code.WRONG_OPERATOR,
        )
    where = f"{path}.value"
    if op in NULL_TESTS:
        if "value" in body:
            raise RuleError(where, f"{op} takes no value", Code.UNKNOWN_KEY)
        return op, None
    if "value" not in body:
        raise RuleError(where, "missing 'value'", Code.MISSING_KEY)
    raw = body["value"]
    if op in ("in", "not_in", "between"):
        return op, _list(raw, where, spec, catalogue, op)
    return op, _scalar(raw, where, spec, catalogue)


def _list(raw: Any, path: str, spec: FieldSpec, catalogue: Catalogue, op: str) -> Value:
    if not isinstance(raw, list) or not raw:
        raise RuleError(
            path, f"{op} needs a non-empty array, got {json_type(raw)}", Code.WRONG_VALUE_TYPE
        )
    if op == "between" and len(raw) != 2:
        raise RuleError(path, f"between needs [low, high], got {len(raw)} values", Code.WRONG_VALUE)
    items = tuple(_scalar(item, f"{path}[{i}]", spec, catalogue) for i, item in enumerate(raw))
    if op == "between" and _inverted(items[0], items[1]):
        raise RuleError(
            path, f"between needs low <= high, got {raw[0]!r} > {raw[1]!r}", Code.WRONG_VALUE
        )
    return items


def _inverted(low: Scalar, high: Scalar) -> bool:
    if isinstance(low, RelativeDay) and isinstance(high, RelativeDay):
        return low.offset > high.offset
    if isinstance(low, date) and isinstance(high, date):
        return low > high
    if isinstance(low, int | float) and isinstance(high, int | float):
        return low > high
    return False  # an absolute and a relative day: only the as-of date can tell


def _scalar(raw: Any, path: str, spec: FieldSpec, catalogue: Catalogue) -> Scalar:
    kind = spec.kind
    if kind == Kind.BOOLEAN:
        if not isinstance(raw, bool):
            raise RuleError(
                path, f"expected true or false, got {json_type(raw)}", Code.WRONG_VALUE_TYPE
            )
        return raw
    if kind in (Kind.INTEGER, Kind.NUMBER):
        return _number(raw, path, spec)
    if kind == Kind.DAY:
        return _day(raw, path)
    return _name(raw, path, spec, catalogue)


def _number(raw: Any, path: str, spec: FieldSpec) -> int | float:
    integer = spec.kind == Kind.INTEGER
    wrong = isinstance(raw, bool) or not isinstance(raw, int if integer else int | float)
    if wrong or (isinstance(raw, float) and not math.isfinite(raw)):
        wanted = "a whole number" if integer else "a number"
        raise RuleError(path, f"expected {wanted}, got {json_type(raw)}", Code.WRONG_VALUE_TYPE)
    number: int | float = raw
    low = spec.minimum if spec.minimum is not None else -math.inf
    high = spec.maximum if spec.maximum is not None else math.inf
    if not low <= number <= high:
        bounds = (
            f"between {spec.minimum:g} and {spec.maximum:g}"
            if spec.maximum is not None
            else f"at least {spec.minimum:g}"
        )
        raise RuleError(path, f"{spec.name} is {bounds}, got {number}", Code.WRONG_VALUE)
    return number


def _day(raw: Any, path: str) -> Scalar:
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise RuleError(
                path, f"{raw!r} is not a date like 2026-06-15", Code.WRONG_VALUE
            ) from None
    if isinstance(raw, dict) and len(raw) == 1:
        ((key, count),) = raw.items()
        if key in ("days_ago", "days_ahead"):
            if isinstance(count, bool) or not isinstance(count, int):
                raise RuleError(
                    f"{path}.{key}",
                    f"expected a whole number, got {json_type(count)}",
                    Code.WRONG_VALUE_TYPE,
                )
            if not 0 <= count <= MAX_DAYS_OFFSET:
                raise RuleError(
                    f"{path}.{key}",
                    f"must be between 0 and {MAX_DAYS_OFFSET:,}, got {count}",
                    Code.WRONG_VALUE,
                )
            return RelativeDay(-count if key == "days_ago" else count)
    raise RuleError(
        path,
        f'expected a date ("2026-06-15", {{"days_ago": N}} or '
        f'{{"days_ahead": N}}), got {json_type(raw)}',
        Code.WRONG_VALUE_TYPE,
    )


def _name(raw: Any, path: str, spec: FieldSpec, catalogue: Catalogue) -> str:
    if not isinstance(raw, str) or not raw:
        raise RuleError(path, f"expected a string, got {json_type(raw)}", Code.WRONG_VALUE_TYPE)
    if spec.choices is not None and raw not in spec.choices:
        raise RuleError(
            path,
            f"{raw!r} is not a {spec.name} value (one of {', '.join(spec.choices)})",
            Code.WRONG_VALUE,
        )
    if spec.name == "top_category" and catalogue.category_id(raw) is None:
        raise RuleError(path, f"no category {raw!r} in the catalogue", Code.UNKNOWN_CATALOGUE_ITEM)
    return raw
