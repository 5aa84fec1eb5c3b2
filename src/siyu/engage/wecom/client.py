"""A thin WeCom API client over httpx: a cached access token behind a lock, errcode handling.

`gettoken` answers a token valid for `expires_in` (7200) seconds; it is reused until 5 minutes
before that, by every thread. errcode 40014 (invalid token) and 42001 (expired) refresh the
token once and repeat the call; 45009 (frequency limit) and 45033 (too many concurrent calls)
are transient and block further calls for a while (60 s and 2 s); -1 (system busy) is
transient; any other errcode is permanent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from siyu.engage.channels import http
from siyu.engage.channels.base import DeliveryError

TOKEN_ERRORS = frozenset({40014, 42001})
BACKOFF_SECONDS = {45009: 60.0, 45033: 2.0, -1: 1.0}
REFRESH_MARGIN = 300.0


@dataclass(frozen=True, slots=True)
class WecomConfig:
    corpid: str
    secret: str
    base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    timeout: float = 10.0


class WecomApiError(DeliveryError):
    def __init__(self, errcode: int, errmsg: str, *, transient: bool, retry_after: float | None):
        super().__init__(
            f"wecom:{errcode}", errmsg[:200], transient=transient, retry_after=retry_after
        )
        self.errcode = errcode


class WecomClient:
    def __init__(
        self,
        config: WecomConfig,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.http = client or http.make_client(config.timeout)
        self.clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0
        self._blocked_until = 0.0
        self.token_fetches = 0

    def token(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._token_expires - REFRESH_MARGIN:
                answer = self._get(
                    "gettoken", {"corpid": self.config.corpid, "corpsecret": self.config.secret}
                )
                self._token = str(answer["access_token"])
                self._token_expires = self.clock() + float(answer.get("expires_in", 7200))
                self.token_fetches += 1
            return self._token

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    def call(
        self,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST `body` (or GET when it is None) to `path`; the answer when errcode is 0."""
        for attempt in (1, 2):
            token = self.token()
            query = {**(params or {}), "access_token": token}
            try:
                if body is None:
                    return self._get(path, query)
                return self._post(path, query, body)
            except WecomApiError as error:
                if error.errcode in TOKEN_ERRORS and attempt == 1:
                    self.invalidate(token)
                    continue
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        return self._answer(self._send("GET", path, params=params))

    def _post(
        self, path: str, params: Mapping[str, str], body: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._answer(self._send("POST", path, params=params, json_body=body))

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        wait = self._blocked_until - self.clock()
        if wait > 0:
            raise DeliveryError(
                "wecom:backoff", f"backing off {wait:.0f}s", transient=True, retry_after=wait
            )
        return http.request(self.http, method, self.config.base_url + path, **options)

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            answer = response.json()
        except ValueError as error:
            raise DeliveryError("wecom:bad_answer", response.text[:200], transient=True) from error
        errcode = int(answer.get("errcode", 0))
        if errcode == 0:
            return dict(answer)
        backoff = BACKOFF_SECONDS.get(errcode)
        if backoff is not None and errcode != -1:
            self._blocked_until = max(self._blocked_until, self.clock() + backoff)
        raise WecomApiError(
            errcode,
            str(answer.get("errmsg", "")),
            transient=backoff is not None,
            retry_after=backoff,
        )
