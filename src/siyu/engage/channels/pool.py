"""Kept-alive HTTP/1.1 connections for the high-volume webhook channel (stdlib `http.client`).

A webhook worker posts thousands of small requests a second to one receiver; `http.client`
costs a fraction of the CPU of a general client per request. Connections are pooled (taken
by a sending thread, returned after a complete answer) and opened on demand. A kept-alive
connection the receiver closed in the meantime (or a connection reset while opening) fails
before any answer: that request is sent once more on a fresh connection (receivers
de-duplicate on the idempotency key anyway).
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from siyu.engage.channels.base import DeliveryError

STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    retry_after: str
    text: str


class ConnectionPool:
    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def post(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """The receiver's answer; a timeout or a network error raises a transient DeliveryError."""
        connection: http.client.HTTPConnection | None = None
        try:
            connection = self._take()
            try:
                answer = self._exchange(connection, body, headers)
            except STALE:  # closed while idle, or reset while connecting: once more, afresh
                connection.close()
                connection = self._open()
                answer = self._exchange(connection, body, headers)
        except (OSError, http.client.HTTPException) as error:
            if connection is not None:
                connection.close()
            if isinstance(error, TimeoutError):
                detail = f"timed out posting to {self.host}:{self.port}"
                raise DeliveryError("timeout", detail, transient=True) from error
            detail = f"{type(error).__name__}: {error}"
            raise DeliveryError("network", detail, transient=True) from error
        with self._lock:
            self._idle.append(connection)
        return answer

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self) -> http.client.HTTPConnection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._open()

    def _open(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = kind(self.host, self.port, timeout=self.timeout)
        connection.connect()
        if connection.sock is not None:
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _exchange(
        self, connection: http.client.HTTPConnection, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        connection.request("POST", self.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        if response.will_close:
            connection.close()  # reopened by http.client on the next request
        return Answer(response.status, response.getheader("Retry-After") or "", text)
