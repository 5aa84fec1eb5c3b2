"""Rule documents (JSON) → the typed condition tree, with precise errors.

Every mistake is reported with the JSON path of the offending part and the reason, e.g.
`$.rule.and[2].field: unknown field 'stag' (fields: stage, rfm_segment, …)`. Names are resolved
through a Catalogue (tags, saved segments, the product catalogue, optional tables), so a rule
that parses also compiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from siyu.segments.errors import RuleError
from siyu.segments.errors import RuleErrorCode as Code
from siyu.segments.fields import CONSENT_CHANNELS, CONSENT_PURPOSES, FIELDS, FieldSpec
from siyu.segments.language import (
    EVENT_TYPES,
    VERSION,
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
from siyu.segments.values import json_type, parse_field_value

CONDITION_KEYS = ("and", "or", "not", "field", "tag", "segment", "event", "purchase")
MAX_WINDOW_DAYS = 3_660
MAX_DEPTH = 40


@dataclass(frozen=True, slots=True)
class SavedRule:
    segment_id: int
    name: str
    document: Any


class Catalogue(Protocol):
    """Names a rule may mention, looked up in the store."""

    def tags(self, name: str) -> list[tuple[int, str | None]]: ...  # (tag id, group name)
    def segment(self, reference: str) -> SavedRule | None: ...  # by code, then name
    def sku_id(self, code: str) -> int | None: ...
    def product_id(self, code: str) -> int | None: ...
    def category_id(self, name: str) -> int | None: ...
    def has_table(self, name: str) -> bool: ...


def parse_rule(
    document: Any, catalogue: Catalogue, *, saving: tuple[int, str] | None = None
) -> Node:
    """The condition tree of a document. `saving` is the (id, name) of the segment this rule
    is being saved as, so that a reference back to it is refused as a cycle."""
    return _Parser(catalogue, (saving,) if saving else ()).document(document, "$")


class _Parser:
    def __init__(self, catalogue: Catalogue, stack: tuple[tuple[int, str], ...]) -> None:
        self.catalogue = catalogue
        self.stack = stack

    def document(self, raw: Any, path: str) -> Node:
        body = _object(raw, path, "a rule document")
        _check_keys(body, path, allowed=("version", "rule"), required=("version", "rule"))
        version = body["version"]
        if isinstance(version, bool) or not isinstance(version, int):
            raise RuleError(
                f"{path}.version",
                f"expected an integer, got {json_type(version)}",
                Code.WRONG_VALUE_TYPE,
            )
        if version != VERSION:
            raise RuleError(
                f"{path}.version",
                f"unsupported rule version {version}: this siyu reads version {VERSION}",
                Code.VERSION_MISMATCH,
            )
        return self.node(body["rule"], f"{path}.rule")

    def node(self, raw: Any, path: str) -> Node:
        if path.count(".") > MAX_DEPTH:
            raise RuleError(path, f"conditions nest more than {MAX_DEPTH} deep", Code.WRONG_VALUE)
        body = _object(raw, path, "a condition")
        kinds = [key for key in CONDITION_KEYS if key in body]
        if not kinds:
            raise RuleError(
                path,
                f"a condition needs one of {', '.join(CONDITION_KEYS)}; got "
                f"{', '.join(map(repr, body)) or 'an empty object'}",
                Code.UNKNOWN_CONDITION,
            )
        if len(kinds) > 1:
            raise RuleError(
                path,
                f"a condition has exactly one of {', '.join(kinds)}: wrap "
                'several in {"and": [...]}',
                Code.UNKNOWN_CONDITION,
            )
        kind = kinds[0]
        if kind in ("and", "or"):
            return self.group(body, path, kind)
        if kind == "not":
            _check_keys(body, path, allowed=("not",))
            return Not(path, self.node(body["not"], f"{path}.not"))
        parse = {
            "field": self.field,
            "tag": self.tag,
            "segment": self.segment,
            "event": self.event,
            "purchase": self.purchase,
        }[kind]
        return parse(body, path)

    def group(self, body: dict[str, Any], path: str, kind: str) -> Node:
        _check_keys(body, path, allowed=(kind,))
        items = body[kind]
        if not isinstance(items, list):
            raise RuleError(
                f"{path}.{kind}",
                f"expected an array of conditions, got {json_type(items)}",
                Code.WRONG_VALUE_TYPE,
            )
        if not items:
            raise RuleError(f"{path}.{kind}", "needs at least one condition", Code.WRONG_VALUE)
        children = tuple(self.node(item, f"{path}.{kind}[{i}]") for i, item in enumerate(items))
        return All(path, children) if kind == "and" else AnyOf(path, children)

    def field(self, body: dict[str, Any], path: str) -> Node:
        _check_keys(
            body, path, allowed=("field", "op", "value", "key", "purpose"), required=("field", "op")
        )
        name = body["field"]
        spec = FIELDS.get(name) if isinstance(name, str) else None
        if spec is None:
            shown = repr(name) if isinstance(name, str) else json_type(name)
            raise RuleError(
                f"{path}.field",
                f"unknown field {shown} (fields: {', '.join(FIELDS)})",
                Code.UNKNOWN_FIELD,
            )
        key = self._field_key(body, path, spec)
        purpose = self._purpose(body, path, spec)
        op, value = parse_field_value(body, path, spec, self.catalogue)
        if spec.table is not None and not self.catalogue.has_table(spec.table):
            raise RuleError(f"{path}.field", _unavailable(spec), Code.NOT_AVAILABLE)
        return FieldTest(path, spec.name, op, value, key, purpose)

    def _field_key(self, body: dict[str, Any], path: str, spec: FieldSpec) -> str | None:
        if spec.key is None:
            if "key" in body:
                raise RuleError(
                    f"{path}.key", f"the field {spec.name} takes no key", Code.UNKNOWN_KEY
                )
            return None
        key = _name(body, "key", f"{path}.key", what=f"a {spec.key} name")
        if spec.key == "channel" and key not in CONSENT_CHANNELS:
            raise RuleError(
                f"{path}.key",
                f"{key!r} is not a consent channel (one of {', '.join(CONSENT_CHANNELS)})",
                Code.WRONG_VALUE,
            )
        if spec.key == "category" and self.catalogue.category_id(key) is None:
            raise RuleError(
                f"{path}.key", f"no category {key!r} in the catalogue", Code.UNKNOWN_CATALOGUE_ITEM
            )
        return key

    def _purpose(self, body: dict[str, Any], path: str, spec: FieldSpec) -> str | None:
        if "purpose" in body and spec.name != "consent":
            raise RuleError(
                f"{path}.purpose", f"the field {spec.name} takes no purpose", Code.UNKNOWN_KEY
            )
        purpose = _text(body, "purpose", f"{path}.purpose", required=False, what="a purpose")
        if purpose is not None and purpose not in CONSENT_PURPOSES:
            raise RuleError(
                f"{path}.purpose",
                f"{purpose!r} is not a consent purpose (one of {', '.join(CONSENT_PURPOSES)})",
                Code.WRONG_VALUE,
            )
        return purpose

    def tag(self, body: dict[str, Any], path: str) -> Node:
        _check_keys(body, path, allowed=("tag", "group"))
        name = _name(body, "tag", f"{path}.tag", what="a tag name")
        group = _text(body, "group", f"{path}.group", required=False, what="a tag group name")
        found = [(tag_id, g) for tag_id, g in self.catalogue.tags(name) if group in (None, g)]
        label = f"{group}/{name}" if group else name
        if not found:
            raise RuleError(f"{path}.tag", f"no tag {label!r}", Code.UNKNOWN_TAG)
        if len(found) > 1:
            groups = ", ".join(repr(g) if g else "(no group)" for _, g in found)
            raise RuleError(
                f"{path}.tag",
                f'tag {name!r} is in several groups ({groups}): add "group"',
                Code.AMBIGUOUS_TAG,
            )
        tag_id, found_group = found[0]
        return HasTag(path, tag_id, f"{found_group}/{name}" if found_group else name)

    def segment(self, body: dict[str, Any], path: str) -> Node:
        _check_keys(body, path, allowed=("segment",))
        reference = _name(body, "segment", f"{path}.segment", what="a segment")
        saved = self.catalogue.segment(reference)
        if saved is None:
            raise RuleError(f"{path}.segment", f"no segment {reference!r}", Code.UNKNOWN_SEGMENT)
        if any(segment_id == saved.segment_id for segment_id, _ in self.stack):
            names = [name for _, name in self.stack] + [saved.name]
            raise RuleError(
                f"{path}.segment",
                f"segments refer to each other in a cycle: {' → '.join(names)}",
                Code.CYCLE,
            )
        inner = _Parser(self.catalogue, (*self.stack, (saved.segment_id, saved.name)))
        try:
            rule = inner.document(saved.document, "$")
        except RuleError as error:
            if error.kind == Code.CYCLE:
                raise RuleError(f"{path}.segment", error.reason, error.kind) from error
            raise RuleError(
                f"{path}.segment",
                f"segment {saved.name!r} cannot be used: {error.message}",
                error.kind,
            ) from error
        return InSegment(path, saved.segment_id, saved.name, rule)

    def event(self, body: dict[str, Any], path: str) -> Node:
        _check_keys(body, path, allowed=("event",))
        spec = _object(body["event"], f"{path}.event", "an event condition")
        where = f"{path}.event"
        _check_keys(
            spec,
            where,
            required=("types",),
            allowed=("types", "category", "item", "within_days", "at_least", "no_paid_order_since"),
        )
        return DidEvent(
            path,
            _event_types(spec["types"], f"{where}.types"),
            _text(spec, "category", f"{where}.category", required=False, what="a category"),
            _text(spec, "item", f"{where}.item", required=False, what="an item"),
            _count(spec, "within_days", where, default=None, maximum=MAX_WINDOW_DAYS),
            _count(spec, "at_least", where, default=1) or 1,
            _flag(spec, "no_paid_order_since", where),
        )

    def purchase(self, body: dict[str, Any], path: str) -> Node:
        _check_keys(body, path, allowed=("purchase",))
        where = f"{path}.purchase"
        spec = _object(body["purchase"], where, "a purchase condition")
        _check_keys(spec, where, allowed=("sku", "product", "category", "within_days", "at_least"))
        lookups = {
            "sku": self.catalogue.sku_id,
            "product": self.catalogue.product_id,
            "category": self.catalogue.category_id,
        }
        ids: dict[str, int | None] = {}
        named: list[str] = []
        for key, lookup in lookups.items():
            name = _text(spec, key, f"{where}.{key}", required=False, what=f"a {key}")
            ids[key] = None if name is None else lookup(name)
            if name is not None and ids[key] is None:
                raise RuleError(
                    f"{where}.{key}",
                    f"no {key} {name!r} in the catalogue",
                    Code.UNKNOWN_CATALOGUE_ITEM,
                )
            if name is not None:
                named.append(f"{key} {name}")
        return Purchased(
            path,
            ids["sku"],
            ids["product"],
            ids["category"],
            _count(spec, "within_days", where, default=None, maximum=MAX_WINDOW_DAYS),
            _count(spec, "at_least", where, default=1) or 1,
            ", ".join(named),
        )


def _unavailable(spec: FieldSpec) -> str:
    owner = {
        "consents": "the reach capability",
        "referrals": "the loyalty capability",
        "member_tiers": "the loyalty capability",
    }
    return (
        f"the field {spec.name} is not available yet: it reads the table {spec.table}, which "
        f"{owner.get(spec.table or '', 'another capability')} has not added to this database"
    )


def _object(raw: Any, path: str, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RuleError(
            path,
            f"expected {what} (a JSON object), got {json_type(raw)}",
            Code.INVALID_DOCUMENT if path == "$" else Code.WRONG_VALUE_TYPE,
        )
    return raw


def _check_keys(
    body: dict[str, Any], path: str, *, allowed: tuple[str, ...], required: tuple[str, ...] = ()
) -> None:
    for key in body:
        if key not in allowed:
            raise RuleError(
                f"{path}.{key}",
                f"unknown key {key!r} (expected {', '.join(allowed)})",
                Code.UNKNOWN_KEY,
            )
    for key in required:
        if key not in body:
            raise RuleError(f"{path}.{key}", f"missing {key!r}", Code.MISSING_KEY)


def _name(body: dict[str, Any], key: str, path: str, *, what: str) -> str:
    text = _text(body, key, path, required=True, what=what)
    assert text is not None
    return text


def _text(body: dict[str, Any], key: str, path: str, *, required: bool, what: str) -> str | None:
    if key not in body:
        if required:
            raise RuleError(path, f"missing {key!r}", Code.MISSING_KEY)
        return None
    value = body[key]
    if not isinstance(value, str) or not value.strip():
        raise RuleError(
            path,
            f"expected {what} (a non-empty string), got {json_type(value)}",
            Code.WRONG_VALUE_TYPE,
        )
    return value


def _count(
    body: dict[str, Any], key: str, path: str, *, default: int | None, maximum: int = 1_000_000
) -> int | None:
    if key not in body:
        return default
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(
            f"{path}.{key}",
            f"expected a whole number, got {json_type(value)}",
            Code.WRONG_VALUE_TYPE,
        )
    if not 1 <= value <= maximum:
        raise RuleError(
            f"{path}.{key}", f"must be between 1 and {maximum:,}, got {value}", Code.WRONG_VALUE
        )
    return value


def _flag(body: dict[str, Any], key: str, path: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise RuleError(
            f"{path}.{key}",
            f"expected true or false, got {json_type(value)}",
            Code.WRONG_VALUE_TYPE,
        )
    return value


def _event_types(raw: Any, path: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise RuleError(
            path,
            f"expected an event type or a non-empty array of them, got {json_type(raw)}",
            Code.WRONG_VALUE_TYPE,
        )
    for index, item in enumerate(items):
        where = path if isinstance(raw, str) else f"{path}[{index}]"
        if item not in EVENT_TYPES:
            shown = repr(item) if isinstance(item, str) else json_type(item)
            raise RuleError(
                where,
                f"{shown} is not an event type (one of {', '.join(EVENT_TYPES)})",
                Code.WRONG_VALUE,
            )
    return tuple(dict.fromkeys(items))
