"""Claiming due outbox rows so that no two workers ever hold the same message.

PostgreSQL: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`: concurrent workers skip
each other's rows. SQLite: the same UPDATE … RETURNING inside `BEGIN IMMEDIATE`, which takes
the single write lock first, so claims run one after another (the worker's transactions are
`siyu.db.engine.job_transaction`s: behind a writer that holds the lock for minutes, such as a
full refresh, they wait as any job does). A claim sets `state='sending'`, the worker's name,
and `next_attempt_at` to the end of its lease: a row whose worker died is due again when the
lease ends, and the next claim takes it over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.db.base import table_of
from siyu.engage.tables import OutboxMessage

OUTBOX = table_of(OutboxMessage)
CLAIMABLE = ("queued", "sending")


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    idempotency_key: str
    source: str
    customer_id: int | None
    recipient: str | None
    channel: str
    purpose: str
    content_hash: str
    sender: str | None
    attempts: int
    expires_at: datetime
    scheduled_at: datetime | None


def claim(
    session: Session,
    *,
    worker: str,
    channels: Sequence[str],
    limit: int,
    lease: timedelta,
    now: datetime,
) -> list[Claimed]:
    due = (
        select(OUTBOX.c.id)
        .where(
            OUTBOX.c.state.in_(CLAIMABLE),
            OUTBOX.c.next_attempt_at <= now,
            OUTBOX.c.channel.in_(list(channels)),
        )
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(
            state="sending",
            claimed_by=worker,
            attempts=OUTBOX.c.attempts + 1,
            next_attempt_at=now + lease,
            updated_at=now,
        )
        .returning(
            OUTBOX.c.id,
            OUTBOX.c.idempotency_key,
            OUTBOX.c.source,
            OUTBOX.c.customer_id,
            OUTBOX.c.recipient,
            OUTBOX.c.channel,
            OUTBOX.c.purpose,
            OUTBOX.c.content_hash,
            OUTBOX.c.sender,
            OUTBOX.c.attempts,
            OUTBOX.c.expires_at,
            OUTBOX.c.scheduled_at,
        )
    )
    rows = session.execute(statement).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)
