"""SMS delivery receipts, polled from Alibaba Cloud `QuerySendDetails` (dysmsapi 2017-05-25).

`SendSms` only says the message was submitted (`sent`, with its `BizId`). The carrier's receipt
arrives later: `QuerySendDetails(PhoneNumber, BizId, SendDate=yyyyMMdd, PageSize, CurrentPage)`,
signed like `SendSms`, answers the send's `SendStatus` (1 waiting for the receipt, 2 failed,
3 delivered), its `ErrCode` (`DELIVERED` or the carrier's error) and `ReceiveDate` (China time).
Each poll takes the messages `sent` by SMS in the last `RECEIPT_DAYS` that have a BizId, asks
for each (in parallel, bounded), and moves the answered ones to `delivered` or `failed` (reason:
the error code) in one transaction, with a delivery attempt row each. Only rows still `sent` are
changed, so polling again, or a receipt that arrives twice, changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine, bindparam, insert, select, update

from siyu.db.engine import job_transaction, transaction
from siyu.engage.addresses import identities
from siyu.engage.channels import aliyun, http
from siyu.engage.channels.base import DeliveryError
from siyu.engage.channels.sms import SmsConfig
from siyu.engage.claim import OUTBOX
from siyu.engage.tables import DeliveryAttempt

CHINA = ZoneInfo("Asia/Shanghai")  # the dysmsapi dates (SendDate, ReceiveDate) are China time
RECEIPT_DAYS = 3
WAITING, FAILED, DELIVERED = 1, 2, 3


@dataclass(frozen=True, slots=True)
class Pending:
    message_id: int
    idempotency_key: str
    customer_id: int | None
    biz_id: str
    sent_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Receipt:
    message_id: int
    delivered: bool
    code: str
    at: datetime | None


@dataclass
class ReceiptReport:
    polled: int = 0
    delivered: int = 0
    failed: int = 0
    waiting: int = 0
    errors: int = 0
    last_error: str = ""

    def summary(self) -> str:
        return (
            f"{self.polled} polled: {self.delivered} delivered, {self.failed} failed, "
            f"{self.waiting} waiting, {self.errors} query errors"
        )


def query_params(
    config: SmsConfig, pending: Pending, phone: str, *, timestamp: datetime, nonce: str
) -> dict[str, str]:
    """The signed form of one QuerySendDetails call."""
    params = {
        "Action": "QuerySendDetails",
        "Version": "2017-05-25",
        "Format": "JSON",
        "AccessKeyId": config.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RegionId": config.region_id,
        "PhoneNumber": national(phone),
        "BizId": pending.biz_id,
        "SendDate": pending.sent_at.astimezone(CHINA).strftime("%Y%m%d"),
        "PageSize": "10",
        "CurrentPage": "1",
    }
    params["Signature"] = aliyun.signature("POST", params, config.access_key_secret)
    return params


def national(phone: str) -> str:
    """A mainland number without its +86 / 0086 / 86 prefix (QuerySendDetails wants 11 digits)."""
    digits = phone.strip().lstrip("+")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


@dataclass
class ReceiptPoller:
    config: SmsConfig
    client: httpx.Client | None = None
    concurrency: int = 4
    limit: int = 2_000
    worker: str = "sms-receipts"
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    nonce: Callable[[], str] = lambda: str(uuid.uuid4())

    def poll(self, engine: Engine, now: datetime) -> ReceiptReport:
        pending, phones = self._pending(engine, now)
        report = ReceiptReport(polled=len(pending))
        client = self.client or http.make_client(self.config.timeout, connections=self.concurrency)
        try:
            with ThreadPoolExecutor(max(1, self.concurrency)) as pool:
                answers = list(
                    pool.map(lambda p: self._ask(client, p, phones.get(p.customer_id)), pending)
                )
        finally:
            if self.client is None:
                client.close()
        receipts = []
        for answer in answers:
            if isinstance(answer, DeliveryError):
                report.errors += 1
                report.last_error = f"{answer.kind}: {answer.detail}"[:200]
            elif answer is None:
                report.waiting += 1
            else:
                receipts.append(answer)
        applied = apply_receipts(engine, receipts, worker=self.worker, now=now)
        report.delivered, report.failed = applied["delivered"], applied["failed"]
        return report

    def _pending(self, engine: Engine, now: datetime) -> tuple[list[Pending], dict[Any, str]]:
        with transaction(engine) as session:
            rows = session.execute(
                select(
                    OUTBOX.c.id,
                    OUTBOX.c.idempotency_key,
                    OUTBOX.c.customer_id,
                    OUTBOX.c.external_id,
                    OUTBOX.c.sent_at,
                    OUTBOX.c.attempts,
                )
                .where(
                    OUTBOX.c.channel == "sms",
                    OUTBOX.c.state == "sent",
                    OUTBOX.c.external_id.is_not(None),
                    OUTBOX.c.sent_at >= now - timedelta(days=RECEIPT_DAYS),
                )
                .order_by(OUTBOX.c.sent_at, OUTBOX.c.id)
                .limit(self.limit)
            ).all()
            pending = [Pending(*row) for row in rows]
            people = {p.customer_id for p in pending if p.customer_id is not None}
            found = identities(session, people, {"sms"})
        return pending, {customer: phone for (_, customer), phone in found.items()}

    def _ask(
        self, client: httpx.Client, pending: Pending, phone: str | None
    ) -> Receipt | DeliveryError | None:
        if phone is None:
            return DeliveryError("no_address", "the customer has no phone now", transient=True)
        params = query_params(
            self.config, pending, phone, timestamp=self.clock(), nonce=self.nonce()
        )
        try:
            response = http.send(client, "POST", self.config.endpoint, data=params)
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            answer = answer if isinstance(answer, dict) else {}
            code = str(answer.get("Code", ""))
            if code and code != "OK":
                message = str(answer.get("Message", ""))[:200]
                raise DeliveryError(f"sms:{code}"[:32], message, transient=True)
            if not code:
                http.check_status(response)
                raise DeliveryError("sms:no_code", response.text[:200], transient=True)
        except DeliveryError as error:
            return error
        return _receipt(pending, answer)


def _receipt(pending: Pending, answer: dict[str, Any]) -> Receipt | None:
    box = answer.get("SmsSendDetailDTOs") or {}
    details = box.get("SmsSendDetailDTO", []) if isinstance(box, dict) else []
    mine = [d for d in details if d.get("OutId") == pending.idempotency_key[:255]] or details
    if not mine:
        return None
    detail = mine[0]
    status = int(detail.get("SendStatus", WAITING))
    if status not in (FAILED, DELIVERED):
        return None
    return Receipt(
        message_id=pending.message_id,
        delivered=status == DELIVERED,
        code=str(detail.get("ErrCode", "")),
        at=_china_time(str(detail.get("ReceiveDate", ""))),
    )


def _china_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(UTC)
    except ValueError:
        return None


def apply_receipts(
    engine: Engine, receipts: Sequence[Receipt], *, worker: str, now: datetime
) -> Counter[str]:
    """Move the still-`sent` messages of these receipts to delivered / failed, with an attempt
    each; returns how many went each way."""
    if not receipts:
        return Counter()
    with job_transaction(engine) as session:
        open_rows = dict(
            session.execute(
                select(OUTBOX.c.id, OUTBOX.c.attempts)
                .where(OUTBOX.c.id.in_([r.message_id for r in receipts]), OUTBOX.c.state == "sent")
                .with_for_update()
            ).all()
        )
        fresh = [r for r in receipts if r.message_id in open_rows]
        if not fresh:
            return Counter()
        session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.state == "sent")
            .values(
                state=bindparam("b_state"),
                reason=bindparam("b_reason"),
                delivered_at=bindparam("b_at"),
                updated_at=now,
            ),
            [_change(r, now) for r in fresh],
        )
        session.execute(
            insert(DeliveryAttempt),
            [
                {
                    "message_id": r.message_id,
                    "attempt": open_rows[r.message_id],
                    "worker": worker[:64],
                    "outcome": "delivered" if r.delivered else "failed",
                    "error_kind": None if r.delivered else f"sms:{r.code}"[:32],
                    "detail": f"SMS receipt {r.code}"[:500],
                    "started_at": now,
                    "finished_at": now,
                }
                for r in fresh
            ],
        )
    return Counter("delivered" if r.delivered else "failed" for r in fresh)


def _change(receipt: Receipt, now: datetime) -> dict[str, Any]:
    if receipt.delivered:
        return {
            "b_id": receipt.message_id,
            "b_state": "delivered",
            "b_reason": None,
            "b_at": receipt.at or now,
        }
    return {
        "b_id": receipt.message_id,
        "b_state": "failed",
        "b_reason": f"SMS receipt: {receipt.code or 'failed'}"[:300],
        "b_at": None,
    }
