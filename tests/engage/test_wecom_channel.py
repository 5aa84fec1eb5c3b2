"""The WeCom channel and client against a local server that follows the API's contract."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from siyu.engage.channels.base import Status
from siyu.engage.content import Content
from siyu.engage.wecom import mass
from siyu.engage.wecom.channel import WecomChannel
from siyu.engage.wecom.client import WecomClient, WecomConfig
from tests.engage.conftest import CORP, WECOM_SECRET, Closer, envelope
from tests.engage.servers import FakeWecom


def client_for(server: FakeWecom, closer: Closer, timeout: float = 2.0) -> WecomClient:
    client = WecomClient(WecomConfig(CORP, WECOM_SECRET, base_url=server.base_url, timeout=timeout))
    closer(client)
    return client


def test_the_token_is_fetched_once_and_reused(fake_wecom: FakeWecom, closer: Closer) -> None:
    client = client_for(fake_wecom, closer)
    for _ in range(3):
        client.call("externalcontact/remind_groupmsg_send", body={"msgid": "m"})
    assert client.token_fetches == 1
    assert [c[1] for c in fake_wecom.calls].count("/cgi-bin/gettoken") == 1


def test_an_invalid_or_expired_token_is_refreshed_and_the_call_repeated(
    fake_wecom: FakeWecom, closer: Closer
) -> None:
    client = client_for(fake_wecom, closer)
    client.call("externalcontact/remind_groupmsg_send", body={"msgid": "m"})
    fake_wecom.tokens = {t: time.monotonic() - 1 for t in fake_wecom.tokens}  # all expired: 42001
    answer = client.call("externalcontact/remind_groupmsg_send", body={"msgid": "m"})
    assert answer["errcode"] == 0
    fake_wecom.tokens.clear()  # unknown: 40014
    assert client.call("externalcontact/remind_groupmsg_send", body={"msgid": "m"})["errcode"] == 0
    assert client.token_fetches == 3


def test_mass_messages_become_one_task_per_sender_and_content(
    fake_wecom: FakeWecom, closer: Closer
) -> None:
    channel = WecomChannel(client_for(fake_wecom, closer))
    hello, sale = Content("你好"), Content("大促", link_url="https://shop.example/sale")
    batch = [
        envelope(1, channel="wecom", address="wmA", sender="guide1", content=hello),
        envelope(2, channel="wecom", address="wmB", sender="guide1", content=hello),
        envelope(3, channel="wecom", address="wmBAD", sender="guide1", content=hello),
        envelope(4, channel="wecom", address="wmC", sender="guide2", content=hello),
        envelope(5, channel="wecom", address="wmD", sender="guide1", content=sale),
        envelope(6, channel="wecom", address="chat:wrG1", sender="guide1", content=hello),
    ]
    outcomes = {o.message_id: o for o in channel.deliver(batch)}
    assert len(fake_wecom.tasks) == 4
    assert fake_wecom.tasks["msg1"]["external_userid"] == ["wmA", "wmB", "wmBAD"]
    assert fake_wecom.tasks["msg1"]["chat_type"] == "single"
    assert fake_wecom.tasks["msg3"]["attachments"][0]["link"]["url"] == "https://shop.example/sale"
    assert fake_wecom.tasks["msg4"]["chat_id_list"] == ["wrG1"]
    assert fake_wecom.tasks["msg4"]["chat_type"] == "group"
    assert [outcomes[i].status for i in range(1, 7)] == [
        Status.SENT,
        Status.SENT,
        Status.FAILED,
        Status.SENT,
        Status.SENT,
        Status.SENT,
    ]
    assert outcomes[1].external_id == "msg1"
    assert outcomes[4].external_id == "msg2"
    assert outcomes[3].error_kind == "wecom:fail_list"


def test_frequency_limits_are_transient_and_block_further_calls(
    fake_wecom: FakeWecom, closer: Closer
) -> None:
    client = client_for(fake_wecom, closer)
    channel = WecomChannel(client)
    client.token()
    fake_wecom.fail((200, {"errcode": 45009, "errmsg": "api freq out of limit"}))
    first = channel.deliver([envelope(1, channel="wecom", address="wmA", sender="g")])[0]
    assert (first.status, first.error_kind, first.retry_after) == (
        Status.RETRY,
        "wecom:45009",
        60.0,
    )
    calls = len(fake_wecom.calls)
    second = channel.deliver([envelope(2, channel="wecom", address="wmA", sender="g")])[0]
    assert second.status is Status.RETRY
    assert second.error_kind == "wecom:backoff"
    assert len(fake_wecom.calls) == calls  # nothing sent while backing off


def test_server_errors_retry_and_request_errors_fail(fake_wecom: FakeWecom, closer: Closer) -> None:
    channel = WecomChannel(client_for(fake_wecom, closer))
    channel.client.token()
    fake_wecom.fail((502, {}), (200, {"errcode": 40003, "errmsg": "invalid external_userid"}))
    retry = channel.deliver([envelope(1, channel="wecom", address="wmA", sender="g")])[0]
    failed = channel.deliver([envelope(2, channel="wecom", address="wmA", sender="g")])[0]
    assert (retry.status, retry.error_kind) == (Status.RETRY, "http_5xx")
    assert (failed.status, failed.error_kind) == (Status.FAILED, "wecom:40003")


def test_a_timeout_is_transient(fake_wecom: FakeWecom, closer: Closer) -> None:
    client = client_for(fake_wecom, closer, timeout=0.2)
    client.token()
    fake_wecom.delay = 0.5
    outcome = WecomChannel(client).deliver(
        [envelope(1, channel="wecom", address="wmA", sender="g")]
    )[0]
    assert (outcome.status, outcome.error_kind) == (Status.RETRY, "timeout")


def test_a_welcome_is_sent_once_and_only_within_20_seconds(
    fake_wecom: FakeWecom, closer: Closer
) -> None:
    channel = WecomChannel(client_for(fake_wecom, closer))
    fake_wecom.welcome_codes["CODE1"] = time.time()
    welcome = Content("欢迎！", welcome_code="CODE1")
    first = channel.deliver(
        [envelope(1, channel="wecom", address="wmA", content=welcome, expires_in=20)]
    )
    again = channel.deliver(
        [envelope(1, channel="wecom", address="wmA", content=welcome, expires_in=20)]
    )
    late = channel.deliver(
        [envelope(2, channel="wecom", address="wmB", content=welcome, expires_in=-1)]
    )
    assert first[0].status is Status.DELIVERED
    assert (again[0].status, again[0].error_kind) == (Status.FAILED, "wecom:41051")
    assert (late[0].status, late[0].error_kind) == (Status.FAILED, "welcome_expired")
    assert fake_wecom.welcomes_sent == [{"welcome_code": "CODE1", "text": {"content": "欢迎！"}}]


def test_send_results_are_paged_and_reminders_stop_at_three_a_day(
    fake_wecom: FakeWecom, closer: Closer
) -> None:
    client = client_for(fake_wecom, closer)
    recipients = [f"wm{i}" for i in range(2500)]
    created = mass.create_task(
        client, sender="g", recipients=recipients, content=Content("x"), group=False
    )
    fake_wecom.results[created.msgid]["wm7"] = 1
    results = list(mass.send_results(client, msgid=created.msgid, sender="g"))
    assert len(results) == 2500
    assert {r.status for r in results} == {0, 1}
    assert sum(1 for c in fake_wecom.calls if c[1].endswith("get_groupmsg_send_result")) == 3
    now = datetime.now(UTC)
    assert mass.reminders_left([now - timedelta(hours=h) for h in (1, 2, 30)], now) == 1
    assert mass.reminders_left([now - timedelta(hours=h) for h in (1, 2, 3)], now) == 0
