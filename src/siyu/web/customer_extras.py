"""The customer 360's segments (with why the customer is in each), messages and contact quota,
for the API and the console alike."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from siyu.engage.governor.quota import quota_view
from siyu.engage.queries import list_messages
from siyu.security.access import ROLE_PERMISSIONS, Actor, Permission
from siyu.segments.workbench import customer_segments
from siyu.web.today import base_policy, evaluation_of

MESSAGES = 20


def segments_and_reach(
    request: Request, session: Session, actor: Actor, customer_id: int, *, explained: bool
) -> dict[str, Any]:
    """The caller has been allowed to see the customer; messages are shown to those who may
    read the outbox (engage) and to guides (their own customers only). `explained` adds why
    the customer is in each segment (the console fetches that when a segment is opened)."""
    segments = [
        asdict(found)
        for found in customer_segments(
            session, customer_id, evaluation_of(request), explained=explained
        )
    ]
    may_see_messages = actor.is_guide or Permission.ENGAGE in ROLE_PERMISSIONS[actor.role]
    messages = (
        [
            row.as_dict()
            for row in list_messages(
                session, customer_id=customer_id, limit=MESSAGES, counts=False
            )[0]
        ]
        if may_see_messages
        else []
    )
    quota = quota_view(session, customer_id, policy=base_policy(request), now=datetime.now(UTC))
    return {"segments": segments, "messages": messages, "quota": quota.as_dict()}
