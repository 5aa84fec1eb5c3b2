"""The WeCom channel: 1:1 and group mass-message tasks, and welcome messages.

Envelopes are grouped by (sender, kind, content) into as few tasks as WeCom allows (10,000
customers or 2,000 groups each), since the sender confirms each task by hand. A created task
makes its messages `sent` (external_id = msgid); the worker's follow-up polls the per-customer
result and marks them `delivered` or `failed`. A welcome message (content with a welcome_code)
is sent at once and only within its 20-second validity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from siyu.engage.channels.base import DeliveryError, Envelope, Outcome, Status
from siyu.engage.wecom import mass
from siyu.engage.wecom.client import WecomClient

GROUP_PREFIX = "chat:"


class WecomChannel:
    name = "wecom"
    transactional = False

    def __init__(
        self, client: WecomClient, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.client = client
        self.clock = clock

    def deliver(
        self, batch: Sequence[Envelope], *, session: Session | None = None
    ) -> list[Outcome]:
        outcomes = [self._welcome(e) for e in batch if e.content.welcome_code]
        tasks: dict[tuple[str, bool, str], list[Envelope]] = defaultdict(list)
        for envelope in batch:
            if envelope.content.welcome_code:
                continue
            if not envelope.sender:
                failure = DeliveryError("no_sender", "no staff member to send", transient=False)
                outcomes.append(failure.outcome(envelope.message_id))
                continue
            group = envelope.address.startswith(GROUP_PREFIX)
            tasks[(envelope.sender, group, envelope.content_hash)].append(envelope)
        for (sender, group, _), envelopes in tasks.items():
            limit = mass.MAX_GROUP_CHATS if group else mass.MAX_SINGLE_RECIPIENTS
            for start in range(0, len(envelopes), limit):
                outcomes += self._task(sender, group, envelopes[start : start + limit])
        return outcomes

    def _task(self, sender: str, group: bool, envelopes: list[Envelope]) -> list[Outcome]:
        recipients = [e.address.removeprefix(GROUP_PREFIX) for e in envelopes]
        try:
            created = mass.create_task(
                self.client,
                sender=sender,
                recipients=recipients,
                content=envelopes[0].content,
                group=group,
            )
        except DeliveryError as error:
            return [error.outcome(e.message_id) for e in envelopes]
        refused = DeliveryError(
            "wecom:fail_list", "WeCom refused this recipient for the task", transient=False
        )
        return [
            refused.outcome(e.message_id)
            if recipient in created.failed
            else Outcome(e.message_id, Status.SENT, external_id=created.msgid)
            for e, recipient in zip(envelopes, recipients, strict=True)
        ]

    def _welcome(self, envelope: Envelope) -> Outcome:
        if self.clock() >= envelope.expires_at:
            failure = DeliveryError(
                "welcome_expired", "welcome_code is only valid for 20 s", transient=False
            )
            return failure.outcome(envelope.message_id)
        try:
            mass.send_welcome(
                self.client, welcome_code=envelope.content.welcome_code, content=envelope.content
            )
        except DeliveryError as error:
            return error.outcome(envelope.message_id)
        return Outcome(envelope.message_id, Status.DELIVERED)

    def close(self) -> None:
        self.client.close()
