"""An in-memory channel for tests: records every envelope, answers scripted outcomes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from siyu.engage.channels.base import Envelope, Outcome, Status


def delivered(envelope: Envelope) -> Outcome:
    return Outcome(envelope.message_id, Status.DELIVERED, external_id=envelope.idempotency_key)


class MemoryChannel:
    transactional = False

    def __init__(
        self, name: str = "webhook", answer: Callable[[Envelope], Outcome] = delivered
    ) -> None:
        self.name = name
        self.answer = answer
        self.received: list[Envelope] = []
        self._lock = threading.Lock()

    def deliver(
        self, batch: Sequence[Envelope], *, session: Session | None = None
    ) -> list[Outcome]:
        with self._lock:
            self.received.extend(batch)
        return [self.answer(envelope) for envelope in batch]

    def close(self) -> None:
        return None
