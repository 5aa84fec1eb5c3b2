"""The console channel: a message is 'delivered' by writing it to `console_messages`, in the
same transaction as its state change, unique per idempotency key: exactly once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.engage.channels.base import Envelope, Outcome, Status
from siyu.engage.tables import ConsoleMessage


class ConsoleChannel:
    name = "console"
    transactional = True

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock

    def deliver(
        self, batch: Sequence[Envelope], *, session: Session | None = None
    ) -> list[Outcome]:
        assert session is not None, "the console channel writes in the worker's transaction"
        if not batch:
            return []
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        now = self.clock()
        rows = [
            {
                "idempotency_key": envelope.idempotency_key,
                "message_id": envelope.message_id,
                "customer_id": envelope.customer_id,
                "text": envelope.content.text[:4000],
                "delivered_at": now,
            }
            for envelope in batch
        ]
        statement = dialect.insert(ConsoleMessage).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
        session.execute(statement, rows)
        return [
            Outcome(envelope.message_id, Status.DELIVERED, external_id=envelope.idempotency_key)
            for envelope in batch
        ]

    def close(self) -> None:
        return None
