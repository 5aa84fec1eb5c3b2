"""/api/v1/outbox: messages with filters, and one message with its attempts. A guide sees only
the messages to their own customers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.queries import list_messages, show_message
from siyu.engage.tables import OutboxMessage
from siyu.security.access import Actor, Permission, customer_scope, require
from siyu.web.api.console_schemas import AttemptOut, MessageDetailOut, MessageOut, OutboxPage
from siyu.web.api.schemas import MAX_ID, IdPath
from siyu.web.deps import CurrentActor, DbSession

router = APIRouter(prefix="/outbox", tags=["outbox"])
Text = Annotated[str | None, Query(max_length=200)]


def may_read_outbox(actor: Actor) -> None:
    """Operators and admins (ENGAGE) read everything; a guide reads their customers' rows."""
    if not actor.is_guide:
        require(actor, Permission.ENGAGE)


@router.get("", response_model=OutboxPage)
def outbox(
    session: DbSession,
    actor: CurrentActor,
    state: Annotated[str | None, Query(max_length=16)] = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    source: Text = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OutboxPage:
    may_read_outbox(actor)
    rows, counts = list_messages(
        session, state=state, channel=channel, customer_id=customer_id, source=source,
        limit=page_size, offset=(page - 1) * page_size,
        where=[customer_scope(actor, OutboxMessage.customer_id)] if actor.is_guide else [],
    )  # fmt: skip
    items = [MessageOut(**row.as_dict()) for row in rows]
    return OutboxPage(items=items, counts=counts, page=page, page_size=page_size)


@router.get("/{message_id}", response_model=MessageDetailOut)
def message(session: DbSession, actor: CurrentActor, message_id: IdPath) -> MessageDetailOut:
    may_read_outbox(actor)
    visible = select(OutboxMessage.id).where(
        OutboxMessage.id == message_id, customer_scope(actor, OutboxMessage.customer_id)
    )
    if actor.is_guide and session.scalar(visible) is None:
        raise EngageError(EngageErrorCode.UNKNOWN_MESSAGE, f"no outbox message {message_id}")
    detail = show_message(session, str(message_id))
    attempts = [AttemptOut(**attempt) for attempt in detail.attempts]
    return MessageDetailOut(message=detail.message, content=detail.content, attempts=attempts)
