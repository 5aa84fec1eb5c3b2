"""Rule tags: a tag whose holders are exactly the customers its rule selects, recomputed on
every refresh (in dependency order: a rule tag that reads another is computed after it).

In an exclusive group, rule tags are tried in the order they were created and a customer gets
the first that matches (later rules exclude the customers of earlier ones).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.segments.catalogue import StoreCatalogue
from siyu.segments.compile import audience
from siyu.segments.errors import RuleError, RuleErrorCode, TagError
from siyu.segments.evaluation import Evaluation
from siyu.segments.language import All, AnyOf, Node, Not, tag_ids
from siyu.segments.parse import parse_rule
from siyu.segments.scratch import scratch
from siyu.segments.tables import Tag, TagGroup
from siyu.segments.tags import TagChange, add_tag, ensure_tag, keep_only, tag_label


def save_rule_tag(
    session: Session,
    *,
    name: str,
    group: str | None,
    document: Any,
    evaluation: Evaluation,
    now: datetime,
) -> TagChange:
    """Create or change a rule tag, and compute its holders at once."""
    rule = parse_rule(document, StoreCatalogue(session))
    tag = ensure_tag(session, name=name, group=group, provenance="rule")
    if tag.provenance != "rule":
        raise TagError(f"tag {name!r} is a {tag.provenance} tag; give the rule tag its own name")
    rules = _rules(session)
    rules[tag.id] = rule
    if _reaches(rules, start=tag.id):
        raise RuleError(
            "$.rule", f"rule tags read each other in a cycle through {name!r}", RuleErrorCode.CYCLE
        )
    tag.rule = document
    session.flush()
    return _recompute(session, tag, rule, evaluation, now)


def recompute_rule_tags(
    session: Session, *, evaluation: Evaluation, now: datetime
) -> list[TagChange]:
    tags = {tag.id: tag for tag in session.scalars(select(Tag).where(Tag.provenance == "rule"))}
    rules: dict[int, Node] = {}
    changes: list[TagChange] = []
    for tag_id, tag in sorted(tags.items()):
        try:
            rules[tag_id] = parse_rule(tag.rule, StoreCatalogue(session))
        except RuleError as error:
            changes.append(TagChange(tag_label(session, tag), skipped=error.message))
    for tag_id in _dependency_order(rules):
        changes.append(_recompute(session, tags[tag_id], rules[tag_id], evaluation, now))
    return changes


def _recompute(
    session: Session, tag: Tag, rule: Node, evaluation: Evaluation, now: datetime
) -> TagChange:
    earlier = _earlier_in_exclusive_group(session, tag)
    if earlier:
        rule = All("$.rule", (rule, Not("$.rule", AnyOf("$.rule", tuple(earlier)))))
    with scratch(session) as current:
        session.execute(insert(current).from_select(["customer_id"], audience(rule, evaluation)))
        chosen = select(current.c.customer_id)
        removed = keep_only(session, tag=tag, customers=chosen, source="rule", now=now)
        change = add_tag(session, tag=tag, customers=chosen, source="rule", now=now)
    return TagChange(tag_label(session, tag), change.added, removed, change.removed_from_group)


def _earlier_in_exclusive_group(session: Session, tag: Tag) -> list[Node]:
    group = session.get(TagGroup, tag.group_id) if tag.group_id else None
    if group is None or not group.is_exclusive:
        return []
    earlier = session.scalars(
        select(Tag).where(Tag.group_id == group.id, Tag.provenance == "rule", Tag.id < tag.id)
    ).all()
    nodes = []
    for other in earlier:
        try:
            nodes.append(parse_rule(other.rule, StoreCatalogue(session)))
        except RuleError:
            continue  # an earlier rule that cannot be evaluated tags nobody
    return nodes


def _rules(session: Session) -> dict[int, Node]:
    rules: dict[int, Node] = {}
    for tag in session.scalars(select(Tag).where(Tag.provenance == "rule", Tag.rule.is_not(None))):
        try:
            rules[tag.id] = parse_rule(tag.rule, StoreCatalogue(session))
        except RuleError:
            continue
    return rules


def _reaches(rules: dict[int, Node], *, start: int) -> bool:
    """Whether `start`'s rule reads `start` again, through other rule tags."""
    seen: set[int] = set()
    stack = list(tag_ids(rules[start]))
    while stack:
        current = stack.pop()
        if current == start:
            return True
        if current in seen or current not in rules:
            continue
        seen.add(current)
        stack.extend(tag_ids(rules[current]))
    return False


def _dependency_order(rules: dict[int, Node]) -> list[int]:
    """Rule tags, each after the rule tags it reads (by id among equals)."""
    order: list[int] = []
    done: set[int] = set()
    pending = sorted(rules)
    while pending:
        ready = [t for t in pending if all(d in done or d not in rules for d in tag_ids(rules[t]))]
        if not ready:
            break  # a cycle: save_rule_tag refuses them, so only a hand-edited store gets here
        order.extend(ready)
        done.update(ready)
        pending = [t for t in pending if t not in done]
    return order
