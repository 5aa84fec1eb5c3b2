"""A reference webhook receiver: checks the signature, drops copies by idempotency key, and
answers 200. For local demos, tests and benchmarks (127.0.0.1); a merchant's own receiver does
the same three things (docs/reach.md).

`GET /stats` answers `{"received": …, "unique": …, "duplicates": …, "rejected": …,
"aborted": …}`.
Run on its own: `python -m siyu.engage.channels.sink PORT SECRET`.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from siyu.engage.channels.webhook import (
    KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)


@dataclass
class SinkRecord:
    keys: Counter[str] = field(default_factory=Counter)  # every key as received
    rejected: int = 0  # complete requests with a wrong signature or timestamp
    aborted: int = 0  # requests cut off before their body arrived (a sender killed mid-send)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stats(self) -> dict[str, int]:
        with self.lock:
            received = sum(self.keys.values())
            return {
                "received": received,
                "unique": len(self.keys),
                "duplicates": received - len(self.keys),
                "rejected": self.rejected,
                "aborted": self.aborted,
            }


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many senders connect at once (a worker's pool, several workers)


class WebhookSink:
    """A threaded HTTP server on 127.0.0.1; `delay` seconds of work per request."""

    def __init__(self, secret: str, *, port: int = 0, delay: float = 0.0) -> None:
        self.secret = secret
        self.delay = delay
        self.record = SinkRecord()
        self.server = _Server(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accept(self, headers: Any, body: bytes) -> bool:
        """Check and record one request; False when its signature is wrong."""
        signature = headers.get(SIGNATURE_HEADER, "")
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        if not verify_signature(self.secret, timestamp, signature, body, now=time.time()):
            with self.record.lock:
                self.record.rejected += 1
            return False
        document = json.loads(body)
        keys = [m["idempotency_key"] for m in document.get("messages", [document])]
        if headers.get(KEY_HEADER) not in (None, keys[0]):
            return False
        with self.record.lock:
            self.record.keys.update(keys)
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # headers and body go in separate writes: no Nagle delay
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing to answer
                    with sink.record.lock:
                        sink.record.aborted += 1
                    self.close_connection = True
                    return
                if sink.delay:
                    time.sleep(sink.delay)
                accepted = sink.accept(self.headers, body)
                self._answer(200 if accepted else 401, b'{"ok":true}' if accepted else b"{}")

            def do_GET(self) -> None:
                self._answer(200, json.dumps(sink.record.stats()).encode())

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def main(argv: list[str]) -> None:
    port, secret = int(argv[0]), argv[1]
    sink = WebhookSink(secret, port=port)
    print(sink.url, flush=True)
    sink.server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
