"""SMS, e-mail and webhook channels against local servers that follow their contracts."""

from __future__ import annotations

import email
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from siyu.engage.channels.base import Status
from siyu.engage.channels.email import EmailChannel, SmtpConfig
from siyu.engage.channels.sink import WebhookSink
from siyu.engage.channels.sms import SmsChannel, SmsConfig
from siyu.engage.channels.webhook import WebhookChannel, sign, verify_signature
from siyu.engage.content import Content
from siyu.engage.interactions import make_unsubscribe_token, read_unsubscribe_token
from siyu.engage.settings import EngageSettings
from tests.engage.conftest import HOOK_SECRET, SMS_KEY, SMS_SECRET, Closer, envelope
from tests.engage.servers import Answer, FakeSms, LocalServer

SMS_CONTENT = Content("新品", template_code="SMS_71390007", template_params={"name": "张三"})


def sms_channel(
    server: FakeSms, closer: Closer, secret: str = SMS_SECRET, timeout: float = 2.0
) -> SmsChannel:
    config = SmsConfig(SMS_KEY, secret, "小店", endpoint=server.base_url, timeout=timeout)
    channel = SmsChannel(config, concurrency=2)
    closer(channel)
    return channel


def test_sms_is_signed_as_the_service_checks_and_submitted(
    fake_sms: FakeSms, closer: Closer
) -> None:
    batch = [
        envelope(i, channel="sms", address="+8613800138000", content=SMS_CONTENT) for i in (1, 2)
    ]
    outcomes = sms_channel(fake_sms, closer).deliver(batch)
    assert [o.status for o in outcomes] == [Status.SENT, Status.SENT]
    assert sorted(o.external_id or "" for o in outcomes) == ["1^0", "2^0"]
    sent = fake_sms.sent[0]
    assert (sent["Action"], sent["Version"], sent["SignName"], sent["TemplateCode"]) == (
        "SendSms",
        "2017-05-25",
        "小店",
        "SMS_71390007",
    )
    assert json.loads(sent["TemplateParam"]) == {"name": "张三"}
    assert {s["OutId"] for s in fake_sms.sent} == {"campaign:1|c1|sms|d1", "campaign:1|c2|sms|d1"}


def test_sms_errors_are_classified(fake_sms: FakeSms, closer: Closer) -> None:
    channel = sms_channel(fake_sms, closer)
    fake_sms.fail(
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发天级流控"}),
        (500, {"Code": "InternalError", "Message": "boom"}),
    )
    limit = channel.deliver(
        [envelope(1, channel="sms", address="+8613800138000", content=SMS_CONTENT)]
    )[0]
    server = channel.deliver(
        [envelope(2, channel="sms", address="+8613800138000", content=SMS_CONTENT)]
    )[0]
    bad = channel.deliver([envelope(3, channel="sms", address="not-a-phone", content=SMS_CONTENT)])[
        0
    ]
    assert (limit.status, limit.error_kind) == (Status.RETRY, "sms:isv.BUSINESS_LIMIT_CONTROL")
    assert (server.status, server.error_kind) == (Status.RETRY, "sms:InternalError")
    assert (bad.status, bad.error_kind) == (Status.FAILED, "sms:isv.MOBILE_NUMBER_ILLEGAL")


def test_a_wrong_secret_fails_the_signature_check(fake_sms: FakeSms, closer: Closer) -> None:
    channel = sms_channel(fake_sms, closer, secret="wrong-secret-0123456")
    outcome = channel.deliver(
        [envelope(1, channel="sms", address="+8613800138000", content=SMS_CONTENT)]
    )[0]
    assert (outcome.status, outcome.error_kind) == (Status.FAILED, "sms:SignatureDoesNotMatch")
    assert fake_sms.sent == []


def test_an_sms_timeout_is_transient(fake_sms: FakeSms, closer: Closer) -> None:
    fake_sms.delay = 0.5
    channel = sms_channel(fake_sms, closer, timeout=0.2)
    outcome = channel.deliver(
        [envelope(1, channel="sms", address="+8613800138000", content=SMS_CONTENT)]
    )[0]
    assert (outcome.status, outcome.error_kind) == (Status.RETRY, "timeout")


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def email_channel(port: int) -> EmailChannel:
    settings = EngageSettings(
        unsubscribe_url="https://shop.example/u/", unsubscribe_secret="unsub-secret-0123456"
    )
    config = SmtpConfig("127.0.0.1", port, "小店 <shop@example.com>", timeout=2.0)
    return EmailChannel(config, settings.unsubscribe_link)


def test_email_carries_an_unsubscribe_link_and_header(mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    content = Content("春季新品到了", subject="春季新品", link_url="https://shop.example/new")
    outcome = email_channel(port).deliver(
        [envelope(7, channel="email", address="li@example.com", content=content)]
    )[0]
    assert outcome.status is Status.SENT
    message = box.messages[0]
    assert (message["To"], message["Subject"]) == ("li@example.com", "春季新品")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://shop.example/u/")
    token = link.removeprefix("https://shop.example/u/")
    request = read_unsubscribe_token("unsub-secret-0123456", token)
    assert (request.customer_id, request.channel, request.message_id) == (7, "email", 7)
    body = message.get_content()
    assert "https://shop.example/new" in body
    assert link in body
    assert message["Message-ID"] == outcome.external_id


def test_smtp_refusals_are_classified_by_code(mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    box.refuse = {
        "gone@example.com": "550 5.1.1 no such user",
        "busy@example.com": "451 4.3.0 try later",
    }
    outcomes = email_channel(port).deliver(
        [
            envelope(1, channel="email", address="gone@example.com"),
            envelope(2, channel="email", address="busy@example.com"),
            envelope(3, channel="email", address="ok@example.com"),
        ]
    )
    assert [(o.status, o.error_kind) for o in outcomes] == [
        (Status.FAILED, "smtp_5xx"),
        (Status.RETRY, "smtp_4xx"),
        (Status.SENT, None),
    ]


def test_an_unreachable_smtp_server_is_transient() -> None:
    outcome = email_channel(free_port()).deliver(
        [envelope(1, channel="email", address="a@example.com")]
    )[0]
    assert (outcome.status, outcome.error_kind) == (Status.RETRY, "network")


def test_webhook_deliveries_are_signed_and_verified(sink: WebhookSink, closer: Closer) -> None:
    channel = closer(WebhookChannel(sink.url, HOOK_SECRET, concurrency=4))
    outcomes = channel.deliver([envelope(i) for i in range(1, 6)])  # type: ignore[attr-defined]
    assert {o.status for o in outcomes} == {Status.DELIVERED}
    assert sink.record.stats() == {
        "received": 5, "unique": 5, "duplicates": 0, "rejected": 0, "aborted": 0,
    }  # fmt: skip


def test_webhook_batch_mode_sends_many_messages_per_request(
    sink: WebhookSink, closer: Closer
) -> None:
    channel = closer(WebhookChannel(sink.url, HOOK_SECRET, batch_size=4))
    outcomes = channel.deliver([envelope(i) for i in range(1, 11)])  # type: ignore[attr-defined]
    assert len(outcomes) == 10
    assert {o.status for o in outcomes} == {Status.DELIVERED}
    assert sink.record.stats()["unique"] == 10


def test_a_wrong_webhook_secret_is_rejected_by_the_receiver(
    sink: WebhookSink, closer: Closer
) -> None:
    channel = closer(WebhookChannel(sink.url, "another-secret-0123456"))
    outcome = channel.deliver([envelope(1)])[0]  # type: ignore[attr-defined]
    assert (outcome.status, outcome.error_kind) == (Status.FAILED, "http_4xx")
    assert sink.record.stats()["rejected"] == 1


def test_receivers_refuse_altered_bodies_and_stale_timestamps() -> None:
    now = datetime.now(UTC).timestamp()
    stamp = str(int(now))
    signature = sign(HOOK_SECRET, stamp, b'{"a":1}')
    assert verify_signature(HOOK_SECRET, stamp, signature, b'{"a":1}', now=now)
    assert not verify_signature(HOOK_SECRET, stamp, signature, b'{"a":2}', now=now)
    assert not verify_signature(HOOK_SECRET, stamp, signature, b'{"a":1}', now=now + 301)


def test_webhook_server_errors_retry(closer: Closer) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    channel = closer(
        WebhookChannel(
            "http://127.0.0.1/hook", HOOK_SECRET, client=httpx.Client(transport=transport)
        )
    )
    outcome = channel.deliver([envelope(1)])[0]  # type: ignore[attr-defined]
    assert (outcome.status, outcome.error_kind) == (Status.RETRY, "http_5xx")


def test_unsubscribe_tokens_cannot_be_altered() -> None:
    token = make_unsubscribe_token("unsub-secret-0123456", 5, "email", 9)
    _payload, _, mac = token.partition(".")
    forged = make_unsubscribe_token("unsub-secret-0123456", 6, "email", 9).split(".")[0] + "." + mac
    with pytest.raises(Exception, match="not valid"):
        read_unsubscribe_token("unsub-secret-0123456", forged)
    with pytest.raises(Exception, match="not valid"):
        read_unsubscribe_token("other-secret-01234567", token)


class Scripted(LocalServer):
    """Answers 200 `{}` to anything unless a failure is scripted."""

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        return 200, {}


def test_kept_alive_webhook_connections_classify_answers_and_survive_a_dropped_one(
    sink: WebhookSink, closer: Closer
) -> None:
    channel = closer(WebhookChannel(sink.url, HOOK_SECRET, concurrency=1))
    assert channel.deliver([envelope(1)])[0].status is Status.DELIVERED  # type: ignore[attr-defined]
    [idle] = channel.connections._idle  # type: ignore[attr-defined]
    idle.sock.shutdown(socket.SHUT_RDWR)  # as if the receiver had closed it while idle
    assert channel.deliver([envelope(2)])[0].status is Status.DELIVERED  # type: ignore[attr-defined]
    assert sink.record.stats()["unique"] == 2
    server = Scripted()
    try:
        scripted = closer(WebhookChannel(server.base_url + "hook", HOOK_SECRET))
        server.fail((503, {"error": "busy"}), (400, {"error": "bad"}))
        busy, bad = (scripted.deliver([envelope(n)])[0] for n in (3, 4))  # type: ignore[attr-defined]
        assert (busy.status, busy.error_kind) == (Status.RETRY, "http_5xx")
        assert (bad.status, bad.error_kind, bad.detail) == (
            Status.FAILED,
            "http_4xx",
            'HTTP 400: {"error": "bad"}',
        )
        assert [path for _, path, _, _ in server.calls] == ["/hook", "/hook"]
    finally:
        server.close()
    refused = closer(WebhookChannel("http://127.0.0.1:9/hook", HOOK_SECRET, timeout=1))
    down = refused.deliver([envelope(5)])[0]  # type: ignore[attr-defined]
    assert (down.status, down.error_kind) == (Status.RETRY, "network")
