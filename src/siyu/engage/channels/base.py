"""The one interface every channel implements, and how its failures are classified.

A channel gets envelopes (a message resolved to an address) and answers one outcome per
envelope. It never raises for a delivery problem: timeouts, network errors, HTTP 5xx and
rate limits are `retry` (transient); 4xx answers, refused addresses and invalid requests are
`failed` (permanent). The worker records every outcome as an attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.orm import Session

from siyu.engage.content import Content


@dataclass(frozen=True, slots=True)
class Envelope:
    message_id: int
    idempotency_key: str
    source: str
    customer_id: int | None
    channel: str
    purpose: str
    address: str  # phone, e-mail, external_userid, chat_id, or the customer id
    sender: str | None  # WeCom staff userid
    content: Content
    content_hash: str
    attempt: int
    expires_at: datetime


class Status(StrEnum):
    SENT = "sent"  # handed over (SMS submitted, SMTP accepted, WeCom task created)
    DELIVERED = "delivered"  # the receiving side has it (webhook 2xx, console row)
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    message_id: int
    status: Status
    external_id: str | None = None
    error_kind: str | None = None
    detail: str = ""
    retry_after: float | None = None


class DeliveryError(Exception):
    """A classified failure inside a channel; `transient` decides retry or give up."""

    def __init__(
        self, kind: str, detail: str, *, transient: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.transient = transient
        self.retry_after = retry_after

    def outcome(self, message_id: int) -> Outcome:
        return Outcome(
            message_id=message_id,
            status=Status.RETRY if self.transient else Status.FAILED,
            error_kind=self.kind,
            detail=self.detail[:500],
            retry_after=self.retry_after,
        )


class Channel(Protocol):
    """`transactional` channels write through the session of the worker's state-change
    transaction (exactly once); the others are called outside any transaction and carry the
    idempotency key to the receiver. A channel gets all of a batch's envelopes in one call and
    parallelises (webhook, SMS) or groups them (WeCom mass-message tasks) itself."""

    name: str
    transactional: bool

    def deliver(
        self, batch: Sequence[Envelope], *, session: Session | None = None
    ) -> list[Outcome]: ...

    def close(self) -> None: ...
