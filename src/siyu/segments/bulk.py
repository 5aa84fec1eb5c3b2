"""Tagging in bulk: a tag added to or removed from customers named by id or phone (a list or
a file), and/or the members of a segment — one set-based statement per step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from siyu.segments.errors import CustomerSelectionError
from siyu.segments.membership import MEMBERS
from siyu.segments.saved import get_segment
from siyu.segments.scratch import fill, scratch
from siyu.segments.selection import CustomerKey, resolve_customers
from siyu.segments.tags import TagChange, add_tag, ensure_tag, find_tag, remove_tag


def change_tag(
    session: Session,
    *,
    name: str,
    group: str | None,
    keys: Sequence[CustomerKey] = (),
    segment: str | None = None,
    remove: bool = False,
    source: str = "manual",
    now: datetime,
) -> TagChange:
    """Add (or remove) the tag for the customers named and the segment's current members.
    Adding creates the tag (and group) if needed; nothing changes if any key is unknown."""
    if not keys and segment is None:
        raise CustomerSelectionError("say which customers: ids, a file of ids/phones, or a segment")
    customer_ids = resolve_customers(session, keys)
    segment_id = get_segment(session, segment).id if segment is not None else None
    tag = find_tag(session, name, group) if remove else ensure_tag(session, name=name, group=group)
    with scratch(session) as chosen:
        fill(session, chosen, customer_ids)
        if segment_id is not None:
            members = MEMBERS.c
            new = ~exists().where(chosen.c.customer_id == members.customer_id)
            session.execute(
                insert(chosen).from_select(
                    ["customer_id"],
                    select(members.customer_id).where(members.segment_id == segment_id, new),
                )
            )
        selected = select(chosen.c.customer_id)
        action = remove_tag if remove else add_tag
        return action(session, tag=tag, customers=selected, source=source, now=now)
