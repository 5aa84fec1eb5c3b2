"""Invalid rules get a precise error: the JSON path and the reason; nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.segments.catalogue import StoreCatalogue
from siyu.segments.errors import RuleError
from siyu.segments.errors import RuleErrorCode as Code
from siyu.segments.parse import parse_rule
from siyu.segments.rule_tags import save_rule_tag
from siyu.segments.saved import count_rule, save_segment
from tests.segments.conftest import EVALUATION, NOW
from tests.snapshot import snapshot

pytestmark = pytest.mark.usefixtures("catalogue")


def rule(body: Any) -> dict[str, Any]:
    return {"version": 1, "rule": body}


LOYAL = {"field": "stage", "op": "=", "value": "loyal"}


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = LOYAL
    for _ in range(depth):
        node = {"not": node}
    return node


CASES = [
    (
        rule({"and": [LOYAL, {"tag": "a"}, {"field": "stag", "op": "=", "value": 1}]}),
        "$.rule.and[2].field",
        Code.UNKNOWN_FIELD,
        "unknown field 'stag' (fields: stage, ",
    ),
    (
        rule({"field": "stage", "op": ">", "value": "loyal"}),
        "$.rule.op",
        Code.WRONG_OPERATOR,
        "operator '>' does not apply to stage (text): use one of =, !=, in, not_in, is_null, "
        "is_not_null",
    ),
    (
        rule({"field": "orders", "op": ">=", "value": "2"}),
        "$.rule.value",
        Code.WRONG_VALUE_TYPE,
        "expected a whole number, got string '2'",
    ),
    (
        rule({"field": "orders", "op": "=", "value": True}),
        "$.rule.value",
        Code.WRONG_VALUE_TYPE,
        "expected a whole number, got boolean true",
    ),
    (
        rule({"or": [LOYAL, {"field": "stage", "op": "in", "value": ["loyal", 3]}]}),
        "$.rule.or[1].value[1]",
        Code.WRONG_VALUE_TYPE,
        "expected a string, got number 3",
    ),
    (
        rule({"field": "stage", "op": "=", "value": "vip"}),
        "$.rule.value",
        Code.WRONG_VALUE,
        "'vip' is not a stage value (one of prospect, first_order, second_order, third_order, "
        "loyal, dormant, churned)",
    ),
    (
        rule({"field": "p_alive", "op": "<", "value": 1.5}),
        "$.rule.value",
        Code.WRONG_VALUE,
        "p_alive is between 0 and 1, got 1.5",
    ),
    (
        rule({"field": "reachable", "op": "=", "value": "yes"}),
        "$.rule.value",
        Code.WRONG_VALUE_TYPE,
        "expected true or false, got string 'yes'",
    ),
    (rule({"not": {"tag": "nope"}}), "$.rule.not.tag", Code.UNKNOWN_TAG, "no tag 'nope'"),
    (rule({"tag": "a", "group": "g1"}), "$.rule.tag", Code.UNKNOWN_TAG, "no tag 'g1/a'"),
    (
        rule({"tag": "b"}),
        "$.rule.tag",
        Code.AMBIGUOUS_TAG,
        "tag 'b' is in several groups ('g1', 'g2'): add \"group\"",
    ),
    (
        rule({"and": [LOYAL, {"segment": "ghost"}]}),
        "$.rule.and[1].segment",
        Code.UNKNOWN_SEGMENT,
        "no segment 'ghost'",
    ),
    (
        {"version": 2, "rule": LOYAL},
        "$.version",
        Code.VERSION_MISMATCH,
        "unsupported rule version 2: this siyu reads version 1",
    ),
    ({"rule": LOYAL}, "$.version", Code.MISSING_KEY, "missing 'version'"),
    ([LOYAL], "$", Code.INVALID_DOCUMENT, "expected a rule document (a JSON object), got array"),
    (
        rule({"field": "stage", "op": "=", "vlaue": "loyal"}),
        "$.rule.vlaue",
        Code.UNKNOWN_KEY,
        "unknown key 'vlaue' (expected field, op, value, key, purpose)",
    ),
    (
        rule({"field": "stage", "tag": "a"}),
        "$.rule",
        Code.UNKNOWN_CONDITION,
        'a condition has exactly one of field, tag: wrap several in {"and": [...]}',
    ),
    (
        rule({"stage": "loyal"}),
        "$.rule",
        Code.UNKNOWN_CONDITION,
        "a condition needs one of and, or, not, field, tag, segment, event, purchase; got 'stage'",
    ),
    (rule({"and": []}), "$.rule.and", Code.WRONG_VALUE, "needs at least one condition"),
    (
        rule({"event": {"types": ["cart", "buy"]}}),
        "$.rule.event.types[1]",
        Code.WRONG_VALUE,
        "'buy' is not an event type (one of search, view, follow, favourite, cart, share)",
    ),
    (
        rule({"event": {"types": "cart", "within_days": 0}}),
        "$.rule.event.within_days",
        Code.WRONG_VALUE,
        "must be between 1 and 3,660, got 0",
    ),
    (
        rule({"event": {"within_days": 7}}),
        "$.rule.event.types",
        Code.MISSING_KEY,
        "missing 'types'",
    ),
    (
        rule({"purchase": {"sku": "S9", "at_least": 2}}),
        "$.rule.purchase.sku",
        Code.UNKNOWN_CATALOGUE_ITEM,
        "no sku 'S9' in the catalogue",
    ),
    (
        rule({"field": "category_share", "key": "服饰", "op": ">", "value": 0.5}),
        "$.rule.key",
        Code.UNKNOWN_CATALOGUE_ITEM,
        "no category '服饰' in the catalogue",
    ),
    (
        rule({"field": "category_share", "op": ">", "value": 0.5}),
        "$.rule.key",
        Code.MISSING_KEY,
        "missing 'key'",
    ),
    (
        rule({"field": "stage", "key": "x", "op": "=", "value": "loyal"}),
        "$.rule.key",
        Code.UNKNOWN_KEY,
        "the field stage takes no key",
    ),
    (
        rule({"field": "last_order_at", "op": "<", "value": "2026-13-01"}),
        "$.rule.value",
        Code.WRONG_VALUE,
        "'2026-13-01' is not a date like 2026-06-15",
    ),
    (
        rule({"field": "last_order_at", "op": "<", "value": {"days_ago": -3}}),
        "$.rule.value.days_ago",
        Code.WRONG_VALUE,
        "must be between 0 and 36,600, got -3",
    ),
    (
        rule({"field": "orders", "op": "between", "value": [5, 2]}),
        "$.rule.value",
        Code.WRONG_VALUE,
        "between needs low <= high, got 5 > 2",
    ),
    (
        rule({"field": "clv_fen", "op": "is_null", "value": 1}),
        "$.rule.value",
        Code.UNKNOWN_KEY,
        "is_null takes no value",
    ),
    (
        rule({"field": "consent", "key": "fax", "op": "=", "value": True}),
        "$.rule.key",
        Code.WRONG_VALUE,
        "'fax' is not a consent channel (one of wecom, sms, email, webhook, console)",
    ),
    (
        rule({"field": "platform", "op": "=", "value": "tmall"}),
        "$.rule.op",
        Code.WRONG_OPERATOR,
        "operator '=' does not apply to platform (set): use one of in, not_in",
    ),
    (rule(_nested(45)), "$.rule" + ".not" * 40, Code.WRONG_VALUE, "conditions nest more than 40"),
]


def test_invalid_rules_name_the_path_and_the_reason(session: Session) -> None:
    wrong = []
    for document, path, code, reason in CASES:
        with pytest.raises(RuleError) as raised:
            count_rule(session, document, EVALUATION)
        error = raised.value
        if (error.path, error.kind) != (path, code) or not error.reason.startswith(reason):
            wrong.append((document, error.path, error.kind, error.reason))
        assert error.message == f"{error.path}: {error.reason}"
    assert wrong == []


def test_a_refused_save_changes_nothing(engine: Engine, session: Session) -> None:
    before = snapshot(engine)
    with pytest.raises(RuleError):
        save_segment(session, name="bad", document=CASES[0][0], evaluation=EVALUATION, now=NOW)
    session.rollback()
    assert snapshot(engine) == before


def test_segments_that_refer_to_each_other_are_refused(engine: Engine, session: Session) -> None:
    save_segment(session, name="s1", document=rule(LOYAL), evaluation=EVALUATION, now=NOW)
    save_segment(
        session,
        name="s2",
        document=rule({"not": {"segment": "s1"}}),
        evaluation=EVALUATION,
        now=NOW,
    )
    session.commit()
    before = snapshot(engine)
    with pytest.raises(RuleError) as raised:
        save_segment(
            session,
            name="s1",
            document=rule({"or": [LOYAL, {"segment": "s2"}]}),
            evaluation=EVALUATION,
            now=NOW,
        )
    assert (raised.value.path, raised.value.kind) == ("$.rule.or[1].segment", Code.CYCLE)
    assert raised.value.reason == "segments refer to each other in a cycle: s1 → s2 → s1"
    with pytest.raises(RuleError) as raised:
        save_segment(
            session, name="s2", document=rule({"segment": "s2"}), evaluation=EVALUATION, now=NOW
        )
    assert (
        raised.value.message == "$.rule.segment: segments refer to each other in a cycle: s2 → s2"
    )
    session.rollback()
    assert snapshot(engine) == before


def test_rule_tags_that_read_each_other_are_refused(session: Session) -> None:
    save_rule_tag(
        session, name="t1", group=None, document=rule(LOYAL), evaluation=EVALUATION, now=NOW
    )
    save_rule_tag(
        session, name="t2", group=None, document=rule({"tag": "t1"}), evaluation=EVALUATION, now=NOW
    )
    with pytest.raises(RuleError) as raised:
        save_rule_tag(
            session,
            name="t1",
            group=None,
            document=rule({"not": {"tag": "t2"}}),
            evaluation=EVALUATION,
            now=NOW,
        )
    assert raised.value.message == "$.rule: rule tags read each other in a cycle through 't1'"
    assert raised.value.kind == Code.CYCLE


class WithoutTables(StoreCatalogue):
    """The store as it is before the reach and loyalty capabilities add their tables."""

    def has_table(self, name: str) -> bool:
        return name not in ("consents", "referrals", "member_tiers")


@pytest.mark.parametrize(
    ("body", "table", "owner"),
    [
        ({"field": "referrals", "op": ">=", "value": 1}, "referrals", "the loyalty capability"),
        ({"field": "tier", "op": "=", "value": "gold"}, "member_tiers", "the loyalty capability"),
        (
            {"field": "consent", "key": "sms", "op": "=", "value": True},
            "consents",
            "the reach capability",
        ),
    ],
)
def test_fields_on_missing_tables_are_not_available_yet(
    session: Session, body: dict[str, Any], table: str, owner: str
) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(rule({"and": [LOYAL, body]}), WithoutTables(session))
    assert raised.value.kind == Code.NOT_AVAILABLE
    assert raised.value.message == (
        f"$.rule.and[1].field: the field {body['field']} is not available yet: it reads the "
        f"table {table}, which {owner} has not added to this database"
    )
