"""Reading the outbox: a filtered list, and one message with its attempts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.tables import STATES, DeliveryAttempt, MessageContent, OutboxMessage


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    idempotency_key: str
    source: str
    customer_id: int | None
    channel: str
    purpose: str
    state: str
    reason: str | None
    scheduled_at: datetime | None
    attempts: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MessageDetail:
    message: dict[str, Any]
    content: dict[str, Any]
    attempts: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {**self.message, "content": self.content, "attempts": self.attempts}


def list_messages(
    session: Session,
    *,
    state: str | None = None,
    channel: str | None = None,
    customer_id: int | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
    where: Sequence[ColumnElement[bool]] = (),
    counts: bool = True,
) -> tuple[list[MessageRow], dict[str, int]]:
    """The newest matching messages, and the count per state of all matching ones (none
    without `counts`). `where` adds conditions on the outbox (e.g. who may see which
    customers)."""
    if state is not None and state not in STATES:
        raise EngageError(
            EngageErrorCode.INVALID_REQUEST, f"state {state!r} is not one of {', '.join(STATES)}"
        )
    filters = [
        column == value
        for column, value in (
            (OutboxMessage.state, state),
            (OutboxMessage.channel, channel),
            (OutboxMessage.customer_id, customer_id),
            (OutboxMessage.source, source),
        )
        if value is not None
    ] + list(where)
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.idempotency_key,
            OutboxMessage.source,
            OutboxMessage.customer_id,
            OutboxMessage.channel,
            OutboxMessage.purpose,
            OutboxMessage.state,
            OutboxMessage.reason,
            OutboxMessage.scheduled_at,
            OutboxMessage.attempts,
        )
        .where(*filters)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    messages = [MessageRow(**row._mapping) for row in rows]
    if not counts:
        return messages, {}
    by_state = session.execute(
        select(OutboxMessage.state, func.count()).where(*filters).group_by(OutboxMessage.state)
    ).all()
    return messages, {state: int(n) for state, n in sorted(by_state)}


def show_message(session: Session, reference: str) -> MessageDetail:
    """A message by id or by idempotency key."""
    query = select(OutboxMessage)
    query = query.where(
        OutboxMessage.id == int(reference)
        if reference.isdigit()
        else OutboxMessage.idempotency_key == reference
    )
    message = session.scalar(query)
    if message is None:
        raise EngageError(EngageErrorCode.UNKNOWN_MESSAGE, f"no outbox message {reference!r}")
    content = session.get(MessageContent, message.content_hash)
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.message_id == message.id)
        .order_by(DeliveryAttempt.id)
    ).all()
    columns = [c.key for c in OutboxMessage.__table__.columns]
    return MessageDetail(
        message={name: getattr(message, name) for name in columns},
        content=dict(content.body) if content else {},
        attempts=[
            {
                "attempt": a.attempt,
                "worker": a.worker,
                "outcome": a.outcome,
                "error_kind": a.error_kind,
                "detail": a.detail,
                "started_at": a.started_at,
                "finished_at": a.finished_at,
            }
            for a in attempts
        ],
    )
