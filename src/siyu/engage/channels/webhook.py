"""A signed generic webhook: POST JSON to the merchant's URL.

Headers: `X-Siyu-Timestamp` (Unix seconds), `X-Siyu-Signature: sha256=<hex>` where the hex is
HMAC-SHA256(secret, timestamp + body) over the exact bytes sent, and
`X-Siyu-Idempotency-Key` (single mode). A receiver checks the signature and the timestamp
(`verify_signature`), de-duplicates on the idempotency key, and answers 2xx. In batch mode the
body is `{"messages": [...]}`, each message carrying its own key; a 2xx accepts them all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy.orm import Session

from siyu.engage.channels import http
from siyu.engage.channels.base import DeliveryError, Envelope, Outcome, Status
from siyu.engage.channels.pool import ConnectionPool

SIGNATURE_HEADER = "X-Siyu-Signature"
TIMESTAMP_HEADER = "X-Siyu-Timestamp"
KEY_HEADER = "X-Siyu-Idempotency-Key"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    timestamp: str,
    signature: str,
    body: bytes,
    *,
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """For receivers: the signature matches and the timestamp is within `tolerance` of now."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload(envelope: Envelope) -> dict[str, Any]:
    return {
        "idempotency_key": envelope.idempotency_key,
        "message_id": envelope.message_id,
        "source": envelope.source,
        "customer_id": envelope.customer_id,
        "purpose": envelope.purpose,
        "attempt": envelope.attempt,
        "content": envelope.content.body(),
    }


class WebhookChannel:
    name = "webhook"
    transactional = False

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 10.0,
        batch_size: int = 1,
        concurrency: int = 8,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.secret = secret
        self.batch_size = max(1, batch_size)
        self.concurrency = max(1, concurrency)
        self.client = client  # an httpx client (tests); by default kept-alive stdlib connections
        self.connections = ConnectionPool(url, timeout=timeout) if client is None else None
        self.clock = clock
        self._threads: ThreadPoolExecutor | None = None

    def deliver(
        self, batch: Sequence[Envelope], *, session: Session | None = None
    ) -> list[Outcome]:
        chunks = [
            list(batch[start : start + self.batch_size])
            for start in range(0, len(batch), self.batch_size)
        ]
        if self.concurrency == 1 or len(chunks) == 1:
            results = [self._post(chunk) for chunk in chunks]
        else:
            if self._threads is None:  # kept across batches, like the connections
                self._threads = ThreadPoolExecutor(self.concurrency, "webhook")
            results = list(self._threads.map(self._post, chunks))
        return [outcome for result in results for outcome in result]

    def _post(self, chunk: list[Envelope]) -> list[Outcome]:
        single = self.batch_size == 1
        document = payload(chunk[0]) if single else {"messages": [payload(e) for e in chunk]}
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        if single:
            headers[KEY_HEADER] = chunk[0].idempotency_key
        try:
            if self.connections is not None:
                answer = self.connections.post(body, headers)
                http.classify(answer.status, answer.retry_after, answer.text)
            elif self.client is not None:
                http.request(self.client, "POST", self.url, content=body, headers=headers)
        except DeliveryError as error:
            return [error.outcome(envelope.message_id) for envelope in chunk]
        return [
            Outcome(envelope.message_id, Status.DELIVERED, external_id=envelope.idempotency_key)
            for envelope in chunk
        ]

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown()
        if self.connections is not None:
            self.connections.close()
        if self.client is not None:
            self.client.close()
