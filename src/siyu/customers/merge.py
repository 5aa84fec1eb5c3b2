"""Reversible OneID merges: every row that moves is listed, so an unmerge restores it exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, case, select, update
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroupMember, WecomContact
from siyu.commerce.tables import Order
from siyu.customers.changes import mark_changed
from siyu.customers.merge_consents import move_consents, restore_consents
from siyu.customers.tables import BehaviourEvent, Customer, CustomerIdentity, CustomerMerge
from siyu.db.base import table_of
from siyu.engage.journeys.tables import CustomerAttribute
from siyu.engage.tables import MessageInteraction, OutboxMessage
from siyu.errors import InvalidInputError, NotFoundError
from siyu.loyalty.tables import Coupon, InviteCode, PointsEntry, TierChange
from siyu.segments.tables import CustomerTag, Tag, TagGroup

# Tables whose rows belong to one customer through customer_id, and have an `id` key.
MOVABLE: tuple[Table, ...] = tuple(
    table_of(model)
    for model in (
        *(CustomerIdentity, Order, BehaviourEvent, WecomContact, CustomerGroupMember),
        *(PointsEntry, TierChange, Coupon, InviteCode),  # loyalty: follows the person
        *(OutboxMessage, MessageInteraction),  # contact history: caps and no-repeat see it all
    )
)
TAGS = table_of(CustomerTag)
ATTRIBUTES = table_of(CustomerAttribute)


def do_merge(
    session: Session, *, kept_id: int, merged_id: int, reason: str, source: str = ""
) -> CustomerMerge:
    """Fold `merged_id` into `kept_id`, recording what moved."""
    moved: dict[str, list[Any]] = {}
    for table in MOVABLE:
        ids = list(session.scalars(select(table.c.id).where(table.c.customer_id == merged_id)))
        if ids:
            session.execute(update(table).where(table.c.id.in_(ids)).values(customer_id=kept_id))
        moved[table.name] = ids
    moved["customer_tags"] = _move_tags(session, merged_id, kept_id)
    moved["customer_attributes"] = _move_attributes(session, merged_id, kept_id)
    moved.update(move_consents(session, from_id=merged_id, to_id=kept_id))
    session.execute(update(Customer).where(Customer.id == merged_id).values(merged_into_id=kept_id))
    mark_changed(session, (kept_id, merged_id))
    merge = CustomerMerge(
        kept_id=kept_id, merged_id=merged_id, reason=reason, source=source[:500], moved=moved
    )
    session.add(merge)
    session.flush()
    return merge


def _move_tags(session: Session, from_id: int, to_id: int) -> list[int]:
    """Move the tags the kept customer lacks. In an exclusive group (one tag per customer) the
    kept customer's tag holds; the other stays behind with the merged customer."""
    held = dict(_tags_with_exclusive_group(session, to_id))
    taken_groups = {group for group in held.values() if group is not None}
    tag_ids = [
        tag_id
        for tag_id, group in _tags_with_exclusive_group(session, from_id)
        if tag_id not in held and group not in taken_groups
    ]
    if tag_ids:
        session.execute(
            update(TAGS)
            .where(TAGS.c.customer_id == from_id, TAGS.c.tag_id.in_(tag_ids))
            .values(customer_id=to_id)
        )
    return tag_ids


def _move_attributes(session: Session, from_id: int, to_id: int) -> list[str]:
    """Move the attributes (a birthday, …) the kept customer lacks; its own values hold."""
    held = select(ATTRIBUTES.c.name).where(ATTRIBUTES.c.customer_id == to_id)
    names = list(
        session.scalars(
            select(ATTRIBUTES.c.name).where(
                ATTRIBUTES.c.customer_id == from_id, ATTRIBUTES.c.name.not_in(held)
            )
        )
    )
    if names:
        session.execute(
            update(ATTRIBUTES)
            .where(ATTRIBUTES.c.customer_id == from_id, ATTRIBUTES.c.name.in_(names))
            .values(customer_id=to_id)
        )
    return names


def _tags_with_exclusive_group(session: Session, customer_id: int) -> list[tuple[int, int | None]]:
    """(tag id, its group id when the group is exclusive, else None) of one customer."""
    exclusive = case((TagGroup.is_exclusive, Tag.group_id), else_=None)
    rows = session.execute(
        select(TAGS.c.tag_id, exclusive)
        .join(Tag, Tag.id == TAGS.c.tag_id)
        .outerjoin(TagGroup, TagGroup.id == Tag.group_id)
        .where(TAGS.c.customer_id == customer_id)
    )
    return [(tag_id, group_id) for tag_id, group_id in rows]


def do_unmerge(session: Session, *, merged_id: int) -> CustomerMerge:
    """Undo the merge that folded customer `merged_id` away. OneID will not merge that pair
    again automatically."""
    merge = session.scalars(
        select(CustomerMerge)
        .where(CustomerMerge.merged_id == merged_id, CustomerMerge.undone_at.is_(None))
        .order_by(CustomerMerge.id.desc())
    ).first()
    if merge is None:
        raise NotFoundError(f"customer {merged_id} was not merged into anyone")
    kept = session.get_one(Customer, merge.kept_id)
    if kept.merged_into_id is not None:
        raise InvalidInputError(
            f"customer {kept.id} was itself merged into {kept.merged_into_id} later: "
            f"unmerge {kept.id} first"
        )
    for table in MOVABLE:
        ids = merge.moved.get(table.name, [])
        if ids:
            session.execute(
                update(table)
                .where(table.c.id.in_(ids), table.c.customer_id == merge.kept_id)
                .values(customer_id=merged_id)
            )
    tag_ids = merge.moved.get("customer_tags", [])
    if tag_ids:
        session.execute(
            update(TAGS)
            .where(TAGS.c.customer_id == merge.kept_id, TAGS.c.tag_id.in_(tag_ids))
            .values(customer_id=merged_id)
        )
    restore_consents(session, merge.moved, kept_id=merge.kept_id, merged_id=merged_id)
    names = merge.moved.get("customer_attributes", [])
    if names:
        session.execute(
            update(ATTRIBUTES)
            .where(ATTRIBUTES.c.customer_id == merge.kept_id, ATTRIBUTES.c.name.in_(names))
            .values(customer_id=merged_id)
        )
    session.execute(update(Customer).where(Customer.id == merged_id).values(merged_into_id=None))
    merge.undone_at = datetime.now(UTC)
    mark_changed(session, (merge.kept_id, merged_id))
    session.flush()
    return merge


def blocked_pairs(session: Session) -> set[frozenset[int]]:
    """Pairs an operator separated: never merged again automatically."""
    rows = session.execute(
        select(CustomerMerge.kept_id, CustomerMerge.merged_id).where(
            CustomerMerge.undone_at.is_not(None)
        )
    )
    return {frozenset(row) for row in rows}
