"""Definitions: valid templates, errors that name the JSON path, and no crash on any JSON."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.engage.journeys.definition import JourneyDefinition, parse_definition
from siyu.engage.journeys.errors import InvalidJourneyError
from siyu.engage.journeys.templates import TEMPLATES

VALID: dict[str, Any] = {
    "name": "售后",
    "trigger": {"type": "order_delivered"},
    "steps": [
        {"type": "send", "channel": "wecom", "content": {"text": "您好"}},
        {"type": "wait", "days": 7},
        {
            "type": "condition",
            "check": {"kind": "profile", "field": "orders", "op": "gte", "value": 2},
            "otherwise": "end",
        },
        {"type": "task", "title": "回访"},
    ],
    "exits": ["ordered"],
}


def with_change(path: list[Any], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(VALID)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


def test_every_template_is_a_valid_definition() -> None:
    for template in TEMPLATES.values():
        definition = template.definition()
        assert parse_definition(definition.as_json()) == definition
    assert sorted(TEMPLATES) == [
        "after_sales_sop", "new_product_launch", "second_order", "semi_private_price_drop",
        "semi_private_trial", "third_order", "win_back",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["steps", 0, "channel"], "fax", "$.steps[0].channel: Input should be 'wecom'"),
        (["steps", 1, "days"], -1, "$.steps[1].days: Input should be greater than or equal to 0"),
        (["steps", 1, "days"], 0, "$.steps[1]: Value error, a wait needs days, hours or until"),
        (["steps", 2, "check", "value"], "two", "$.steps[2].check: Value error, orders compares"),
        (["steps", 2, "otherwise"], 1, "$: Value error, step 3: otherwise must be a later step"),
        (["trigger", "type"], "moon", "$.trigger: Input tag 'moon' found using 'type' does not"),
        (["trigger"], {"type": "no_order_for"}, "$.trigger.days: Field required"),
        (["exits"], ["left_segment"], "$: Value error, exit left_segment needs an entered_segm"),
        (["holdout_share"], 1.0, "$.holdout_share: Input should be less than 1"),
        (["steps", 3, "colour"], "red", "$.steps[3].colour: Extra inputs are not permitted"),
        (["name"], 7, "$.name: Input should be a valid string"),
        (["steps", 0, "content", "text"], "a\x00b", "$.steps[0].content.text: text may not"),
        (["steps", 2, "check", "value"], 10**20, "$.steps[2].check: Value error, orders: 1"),
    ],
)
def test_errors_name_the_json_path(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(InvalidJourneyError) as raised:
        parse_definition(with_change(path, value))
    assert raised.value.message.startswith("invalid journey: " + message)
    assert raised.value.code == "invalid_input"


def test_sms_needs_a_template_and_groups_need_wecom() -> None:
    sms = with_change(["steps", 0, "channel"], "sms")
    with pytest.raises(InvalidJourneyError, match=r"\$\.steps\[0\]: Value error, SMS content"):
        parse_definition(sms)
    groups = with_change(["steps", 0], {**VALID["steps"][0], "channel": "console", "to": "groups"})
    with pytest.raises(InvalidJourneyError, match=r"\$\.steps\[0\]: .*wecom channel only"):
        parse_definition(groups)


LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
JSON = st.recursive(
    LEAVES | st.just([]) | st.just({}),
    lambda children: (
        st.lists(children, min_size=1, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, min_size=1, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["name", "trigger", "steps", "type", "days", "channel", "content", "text", "check", "kind",
     "otherwise", "exits", "holdout_share", "until", "tag", "title", "segment", "to"]
)  # fmt: skip


def near_valid() -> st.SearchStrategy[Any]:
    """The valid document with one field replaced by random JSON, somewhere."""
    return st.tuples(
        st.lists(st.one_of(KEYS, st.integers(0, 4)), min_size=1, max_size=4), JSON
    ).map(lambda change: _replace(copy.deepcopy(VALID), *change))


def _replace(document: Any, path: list[Any], value: Any) -> Any:
    node = document
    for part in path[:-1]:
        inside_dict = isinstance(node, dict) and part in node
        inside_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if inside_dict or inside_list:
            node = node[part]
    if isinstance(node, dict):
        node[str(path[-1])] = value
    return document


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, near_valid()))
def test_any_json_validates_or_errors_with_a_path(document: Any) -> None:
    outcome: JourneyDefinition | str
    try:
        outcome = parse_definition(document)
    except InvalidJourneyError as error:
        outcome = error.message
    if isinstance(outcome, str):
        assert outcome.startswith("invalid journey: $")
    else:
        assert parse_definition(outcome.as_json()) == outcome
