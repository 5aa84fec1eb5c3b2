"""Writing a batch's outcomes: the outbox state changes and the delivery attempt rows.

On PostgreSQL each is ONE statement over arrays (`UPDATE … FROM unnest(…)`, `INSERT … SELECT
FROM unnest(…)`): a batch of 500 messages is two round trips, not a thousand statements. On
SQLite (one writer, in-process) `executemany` is as fast and is what runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from siyu.engage.claim import OUTBOX
from siyu.engage.tables import DeliveryAttempt

CHANGED = (
    "state",
    "reason",
    "next_attempt_at",
    "sent_at",
    "delivered_at",
    "external_id",
    "claimed_by",
    "recipient",
    "updated_at",
)
TIME = "timestamptz"
CHANGE_TYPES = ("text", "text", TIME, TIME, TIME, "text", "text", "text", TIME)
ATTEMPT_COLUMNS = (
    "message_id",
    "attempt",
    "worker",
    "outcome",
    "error_kind",
    "detail",
    "started_at",
    "finished_at",
)
ATTEMPT_TYPES = ("bigint", "integer", "text", "text", "text", "text", "timestamptz", "timestamptz")


def write_changes(session: Session, changes: Sequence[dict[str, Any]], *, worker: str) -> None:
    """Apply `b_<column>` changes keyed by `b_id` to rows this worker still holds (`sending`,
    claimed by it): a row whose lease another worker took over is left alone."""
    if not changes:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id == bindparam("b_id"),
                OUTBOX.c.state == "sending",
                OUTBOX.c.claimed_by == worker,
            )
            .values({name: bindparam(f"b_{name}") for name in CHANGED}),
            list(changes),
        )
        return
    arrays = [[c["b_id"] for c in changes]] + [[c[f"b_{n}"] for c in changes] for n in CHANGED]
    unnest = ", ".join(
        f"%s::{kind}[]" for kind in ("bigint", *CHANGE_TYPES)
    )  # one array per column
    assignments = ", ".join(f"{name} = v.{name}" for name in CHANGED)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        f"UPDATE outbox_messages AS o SET {assignments} "
        f"FROM unnest({unnest}) AS v(id, {', '.join(CHANGED)}) "
        "WHERE o.id = v.id AND o.state = 'sending' AND o.claimed_by = %s",
        [*arrays, worker],
    )
    cursor.close()


def write_attempts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(DeliveryAttempt), list(rows))
        return
    arrays = [[row[name] for row in rows] for name in ATTEMPT_COLUMNS]
    unnest = ", ".join(f"%s::{kind}[]" for kind in ATTEMPT_TYPES)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        f"INSERT INTO delivery_attempts ({', '.join(ATTEMPT_COLUMNS)}) "
        f"SELECT * FROM unnest({unnest})",
        arrays,
    )
    cursor.close()
