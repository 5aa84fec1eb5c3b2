"""Local servers and builders for the engage tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from siyu.engage.channels.base import Envelope
from siyu.engage.channels.sink import WebhookSink
from siyu.engage.content import Content
from tests.engage.servers import FakeSms, FakeWecom

CORP, WECOM_SECRET = "wwcorp0001", "wecom-secret-0123456789"
SMS_KEY, SMS_SECRET = "LTAIkey", "sms-secret-0123456789"
HOOK_SECRET = "hook-secret-0123456789"


@pytest.fixture
def fake_wecom() -> Iterator[FakeWecom]:
    server = FakeWecom(CORP, WECOM_SECRET)
    yield server
    server.close()


@pytest.fixture
def fake_sms() -> Iterator[FakeSms]:
    server = FakeSms(SMS_KEY, SMS_SECRET)
    yield server
    server.close()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    server = WebhookSink(HOOK_SECRET).start()
    yield server
    server.stop()


def envelope(
    message_id: int = 1,
    *,
    channel: str = "webhook",
    address: str = "1",
    sender: str | None = None,
    content: Content | None = None,
    expires_in: float = 3600,
) -> Envelope:
    body = content or Content("上新了 New arrivals")
    return Envelope(
        message_id=message_id,
        idempotency_key=f"campaign:1|c{message_id}|{channel}|d1",
        source="campaign:1",
        customer_id=message_id,
        channel=channel,
        purpose="marketing",
        address=address,
        sender=sender,
        content=body,
        content_hash=body.content_hash,
        attempt=1,
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
    )


class Closer:
    """Closes what a test opened (HTTP clients hold sockets; unclosed ones warn)."""

    def __init__(self) -> None:
        self.things: list[object] = []

    def __call__(self, thing: object) -> object:
        self.things.append(thing)
        return thing


@pytest.fixture
def closer() -> Iterator[Closer]:
    closing = Closer()
    yield closing
    for thing in reversed(closing.things):
        thing.close()  # type: ignore[attr-defined]
