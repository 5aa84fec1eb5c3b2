"""After a mass-message task is created: record it, poll its per-customer results, remind.

WeCom sends a task only when its sender confirms it, so a task's messages stay `sent` until
`get_groupmsg_send_result` says status 1 (→ delivered), 2 (not the sender's contact → failed)
or 3 (the customer already got a mass message within WeCom's quota → failed). A task still
waiting after `remind_after` gets a reminder, at most 3 in 24 hours (WeCom's limit), spaced
by at least `remind_after`. Tasks older than a week are no longer followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.db.base import table_of
from siyu.db.engine import transaction
from siyu.engage.channels.base import DeliveryError, Outcome, Status
from siyu.engage.tables import OutboxMessage, WecomMassTask
from siyu.engage.wecom import mass
from siyu.engage.wecom.client import WecomClient

OUTBOX = table_of(OutboxMessage)
FOLLOW_DAYS = 7
RESULT_STATES = {
    mass.SENT: ("delivered", None),
    mass.NOT_A_CONTACT: ("failed", "WeCom: the customer is not the sender's contact"),
    mass.OVER_QUOTA: ("failed", "WeCom: the customer already received a mass message (quota)"),
}


def record_tasks(session: Session, sent: Sequence[tuple[Any, Outcome]], *, now: datetime) -> None:
    """Remember the WeCom tasks that messages were just handed to."""
    rows: dict[str | None, dict[str, Any]] = {
        outcome.external_id: {
            "msgid": outcome.external_id,
            "chat_type": "group" if (message.recipient or "").startswith("chat:") else "single",
            "sender": message.sender or "",
            "created_at": now,
            "reminded_at": [],
        }
        for message, outcome in sent
        if message.channel == "wecom" and outcome.status is Status.SENT and outcome.external_id
    }
    if rows:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(WecomMassTask).on_conflict_do_nothing(), list(rows.values()))


def follow_up(
    engine: Engine,
    client: WecomClient,
    now: datetime,
    *,
    remind_after: timedelta = timedelta(hours=2),
) -> int:
    """Poll every open task; returns how many messages got their final state."""
    with transaction(engine) as session:
        tasks = session.scalars(
            select(WecomMassTask).where(
                WecomMassTask.finished_at.is_(None),
                WecomMassTask.created_at >= now - timedelta(days=FOLLOW_DAYS),
            )
        ).all()
    settled = 0
    for task in tasks:
        try:
            settled += _follow(engine, client, task, now, remind_after)
        except DeliveryError:
            continue  # try again at the next follow-up
    return settled


def _follow(
    engine: Engine, client: WecomClient, task: WecomMassTask, now: datetime, remind_after: timedelta
) -> int:
    results = list(mass.send_results(client, msgid=task.msgid, sender=task.sender))
    prefix = "chat:" if task.chat_type == "group" else ""
    changes = [
        {
            "b_recipient": prefix + r.recipient,
            "b_state": RESULT_STATES[r.status][0],
            "b_reason": RESULT_STATES[r.status][1],
            "b_at": _sent_at(r, now) if r.status == mass.SENT else None,
        }
        for r in results
        if r.status in RESULT_STATES
    ]
    waiting = any(r.status == mass.WAITING for r in results)
    reminded = [datetime.fromisoformat(at) for at in task.reminded_at]
    last = max([task.created_at, *reminded])
    if waiting and now - last >= remind_after and mass.reminders_left(reminded, now) > 0:
        mass.remind(client, msgid=task.msgid)
        reminded.append(now)
    with transaction(engine) as session:
        if changes:
            session.execute(
                update(OUTBOX)
                .where(
                    OUTBOX.c.external_id == task.msgid,
                    OUTBOX.c.recipient == bindparam("b_recipient"),
                    OUTBOX.c.state == "sent",
                )
                .values(
                    state=bindparam("b_state"),
                    reason=bindparam("b_reason"),
                    delivered_at=bindparam("b_at"),
                    updated_at=now,
                ),
                changes,
            )
        session.execute(
            update(WecomMassTask)
            .where(WecomMassTask.id == task.id)
            .values(
                polled_at=now,
                finished_at=None if waiting else now,
                reminded_at=[at.isoformat() for at in reminded if now - at < timedelta(days=1)],
            )
        )
    return len(changes)


def _sent_at(result: mass.SendResult, now: datetime) -> datetime:
    return datetime.fromtimestamp(result.send_time, UTC) if result.send_time else now
