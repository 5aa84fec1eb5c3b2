"""WeCom mass messages (客户群发) and welcome messages, as API calls.

`add_msg_template` only creates a task: the staff member (`sender`) confirms it in the WeCom
client, and only then is it sent. `get_groupmsg_send_result` tells, per customer, whether it
went (status 1), is still waiting (0), or failed because the customer is not the sender's
contact (2) or already received a mass message within WeCom's quota (3).
`remind_groupmsg_send` nudges the sender, at most 3 times per 24 h per task.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from siyu.engage.content import Content
from siyu.engage.wecom.client import WecomClient

MAX_SINGLE_RECIPIENTS = 10_000
MAX_GROUP_CHATS = 2_000
REMINDERS_PER_DAY = 3
WAITING, SENT, NOT_A_CONTACT, OVER_QUOTA = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class TaskCreated:
    msgid: str
    failed: frozenset[str]  # external_userids or chat_ids WeCom refused at once


@dataclass(frozen=True, slots=True)
class SendResult:
    recipient: str  # external_userid, or chat_id for a group task
    status: int
    send_time: int | None


def message_body(content: Content) -> dict[str, Any]:
    body: dict[str, Any] = {"text": {"content": content.text}}
    if content.link_url:
        title = content.subject or content.text[:60]
        body["attachments"] = [
            {"msgtype": "link", "link": {"title": title, "url": content.link_url}}
        ]
    return body


def create_task(
    client: WecomClient, *, sender: str, recipients: Sequence[str], content: Content, group: bool
) -> TaskCreated:
    body: dict[str, Any] = {
        "chat_type": "group" if group else "single",
        "sender": sender,
        "allow_select": False,
        **message_body(content),
    }
    body["chat_id_list" if group else "external_userid"] = list(recipients)
    answer = client.call("externalcontact/add_msg_template", body=body)
    return TaskCreated(msgid=str(answer["msgid"]), failed=frozenset(answer.get("fail_list", [])))


def send_results(client: WecomClient, *, msgid: str, sender: str) -> Iterator[SendResult]:
    cursor = ""
    while True:
        body = {"msgid": msgid, "userid": sender, "limit": 1000, "cursor": cursor}
        answer = client.call("externalcontact/get_groupmsg_send_result", body=body)
        for row in answer.get("send_list", []):
            recipient = row.get("external_userid") or row.get("chat_id") or ""
            yield SendResult(str(recipient), int(row.get("status", 0)), row.get("send_time"))
        cursor = str(answer.get("next_cursor") or "")
        if not cursor:
            return


def reminders_left(reminded_at: Sequence[datetime], now: datetime) -> int:
    recent = [moment for moment in reminded_at if now - moment < timedelta(hours=24)]
    return max(0, REMINDERS_PER_DAY - len(recent))


def remind(client: WecomClient, *, msgid: str) -> None:
    client.call("externalcontact/remind_groupmsg_send", body={"msgid": msgid})


def send_welcome(client: WecomClient, *, welcome_code: str, content: Content) -> None:
    client.call(
        "externalcontact/send_welcome_msg",
        body={"welcome_code": welcome_code, **message_body(content)},
    )
