"""The customer 360's activity: orders, behaviour, WeCom contacts, groups and tags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroup, CustomerGroupMember, StaffAccount, WecomContact
from siyu.commerce.tables import Order, Shop
from siyu.customers.tables import BehaviourEvent
from siyu.segments.tables import CustomerTag, Tag


def customer_activity(session: Session, customer_id: int, *, limit: int = 50) -> dict[str, Any]:
    orders = session.execute(
        select(Order.platform_order_id, Shop.name, Order.status, Order.ordered_at,
               Order.paid_fen, Order.refunded_fen)
        .join(Shop, Shop.id == Order.shop_id)
        .where(Order.customer_id == customer_id)
        .order_by(Order.ordered_at.desc())
        .limit(limit)
    ).all()  # fmt: skip
    events = session.execute(
        select(BehaviourEvent.event_type, BehaviourEvent.item, BehaviourEvent.category,
               BehaviourEvent.occurred_at)
        .where(BehaviourEvent.customer_id == customer_id)
        .order_by(BehaviourEvent.occurred_at.desc())
        .limit(limit)
    ).all()  # fmt: skip
    contacts = session.execute(
        select(StaffAccount.userid, StaffAccount.name, WecomContact.added_at, WecomContact.state,
               WecomContact.removed_at, WecomContact.removed_by)
        .join(StaffAccount, StaffAccount.id == WecomContact.staff_id)
        .where(WecomContact.customer_id == customer_id)
    ).all()  # fmt: skip
    groups = session.execute(
        select(CustomerGroup.name, CustomerGroupMember.joined_at, CustomerGroupMember.left_at)
        .join(CustomerGroup, CustomerGroup.id == CustomerGroupMember.group_id)
        .where(CustomerGroupMember.customer_id == customer_id)
    ).all()
    tags = session.execute(
        select(Tag.name, Tag.provenance, CustomerTag.created_at)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(CustomerTag.customer_id == customer_id)
    ).all()
    return {
        "orders": [
            {"order_id": o, "shop": s, "status": st, "ordered_at": at, "paid_fen": p,
             "refunded_fen": r}
            for o, s, st, at, p, r in orders
        ],
        "events": [
            {"type": t, "item": i, "category": c, "occurred_at": at} for t, i, c, at in events
        ],
        "contacts": [
            {"staff": u, "staff_name": n, "added_at": a, "state": st, "removed_at": ra,
             "removed_by": rb}
            for u, n, a, st, ra, rb in contacts
        ],
        "groups": [{"name": n, "joined_at": j, "left_at": left} for n, j, left in groups],
        "tags": [{"name": n, "provenance": p, "at": at} for n, p, at in tags],
    }  # fmt: skip
