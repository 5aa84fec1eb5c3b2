"""SMS through Alibaba Cloud `SendSms` (dysmsapi 2017-05-25), signed RPC over HTTPS POST.

The answer `{"Code": "OK", "BizId": …}` means submitted (`sent`). Flow control and server
trouble are transient; every other Code (bad number, template, signature, balance) is
permanent. The API is not idempotent: the outbox is what keeps a message from going twice,
and `OutId` carries the idempotency key so receipts can be matched.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy.orm import Session

from siyu.engage.channels import aliyun, http
from siyu.engage.channels.base import DeliveryError, Envelope, Outcome, Status

TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",  # 触发分钟级/小时级/天级流控
        "Throttling.User",
        "Throttling",
        "isp.SYSTEM_ERROR",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",  # a fresh nonce on the next attempt fixes it
    }
)


@dataclass(frozen=True, slots=True)
class SmsConfig:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    endpoint: str = "https://dysmsapi.aliyuncs.com/"
    region_id: str = "cn-hangzhou"
    timeout: float = 10.0


def send_sms_params(
    config: SmsConfig, envelope: Envelope, *, timestamp: datetime, nonce: str
) -> dict[str, str]:
    """The signed form of one SendSms call."""
    params = {
        "Action": "SendSms",
        "Version": "2017-05-25",
        "Format": "JSON",
        "AccessKeyId": config.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RegionId": config.region_id,
        "PhoneNumbers": envelope.address,
        "SignName": config.sign_name,
        "TemplateCode": envelope.content.template_code,
        "TemplateParam": json.dumps(
            dict(envelope.content.template_params), ensure_ascii=False, separators=(",", ":")
        ),
        "OutId": envelope.idempotency_key[:255],
    }
    params["Signature"] = aliyun.signature("POST", params, config.access_key_secret)
    return params


class SmsChannel:
    name = "sms"
    transactional = False

    def __init__(
        self,
        config: SmsConfig,
        *,
        client: httpx.Client | None = None,
        concurrency: int = 4,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.config = config
        self.concurrency = max(1, concurrency)
        self.client = client or http.make_client(config.timeout, connections=self.concurrency)
        self.clock = clock
        self.nonce = nonce

    def deliver(
        self, batch: Sequence[Envelope], *, session: Session | None = None
    ) -> list[Outcome]:
        if self.concurrency == 1 or len(batch) <= 1:
            return [self._send(envelope) for envelope in batch]
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(self._send, batch))

    def _send(self, envelope: Envelope) -> Outcome:
        if not envelope.content.template_code:
            failure = DeliveryError("invalid", "SMS content has no template_code", transient=False)
            return failure.outcome(envelope.message_id)
        params = send_sms_params(self.config, envelope, timestamp=self.clock(), nonce=self.nonce())
        try:
            response = http.send(self.client, "POST", self.config.endpoint, data=params)
            answer = _json(response)
            code = str(answer.get("Code", ""))
            if code == "OK":
                biz_id = answer.get("BizId")
                external = None if biz_id is None else str(biz_id)
                return Outcome(envelope.message_id, Status.SENT, external_id=external)
            if code:
                transient = code in TRANSIENT_CODES or response.status_code >= 500
                raise DeliveryError(
                    f"sms:{code}"[:32], str(answer.get("Message", ""))[:200], transient=transient
                )
            http.check_status(response)
            raise DeliveryError("sms:no_code", response.text[:200], transient=False)
        except DeliveryError as error:
            return error.outcome(envelope.message_id)

    def close(self) -> None:
        self.client.close()


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
