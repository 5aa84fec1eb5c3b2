"""One HTTP call with a timeout, its failure classified (the rule every HTTP channel shares)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from siyu.engage.channels.base import DeliveryError

RETRYABLE_4XX = frozenset({408, 425, 429})  # "try again later" answers, not request errors


def make_client(timeout: float, *, connections: int = 16) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        trust_env=False,
    )


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    json_body: Any = None,
    content: bytes | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """The response of a 2xx call; anything else raises a classified DeliveryError."""
    response = send(
        client,
        method,
        url,
        params=params,
        json_body=json_body,
        content=content,
        data=data,
        headers=headers,
    )
    check_status(response)
    return response


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    json_body: Any = None,
    content: bytes | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Any HTTP answer; a timeout or a network error raises a transient DeliveryError."""
    try:
        return client.request(
            method, url, params=params, json=json_body, content=content, data=data, headers=headers
        )
    except httpx.TimeoutException as error:
        raise DeliveryError(
            "timeout", f"{type(error).__name__} calling {url}", transient=True
        ) from error
    except httpx.TransportError as error:
        raise DeliveryError(
            "network", f"{type(error).__name__}: {error}", transient=True
        ) from error


def check_status(response: httpx.Response) -> None:
    """Raise the classified DeliveryError of a non-2xx answer."""
    classify(response.status_code, response.headers.get("retry-after", ""), response.text)


def classify(status: int, retry_after: str, text: str) -> None:
    """Raise the classified DeliveryError of a non-2xx status (any HTTP client's answer)."""
    if status >= 500 or status in RETRYABLE_4XX:
        kind = "http_5xx" if status >= 500 else "http_throttled"
        raise DeliveryError(
            kind,
            f"HTTP {status}: {text[:200]}",
            transient=True,
            retry_after=float(retry_after) if retry_after.isdigit() else None,
        )
    if status >= 400:
        raise DeliveryError("http_4xx", f"HTTP {status}: {text[:200]}", transient=False)
