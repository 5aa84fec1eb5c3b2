"""`siyu serve --workers N`: N server processes on one port.

Each process listens on its own socket bound with SO_REUSEPORT, so the kernel spreads new
connections evenly over them. With one shared socket (uvicorn's `workers=`), a burst of
keep-alive connections all goes to the process that wakes first, and the others idle
(docs/benchmarks.md, "Console pages under load"). Where the platform has no SO_REUSEPORT
(Windows), uvicorn's shared socket is used instead.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from types import FrameType

import uvicorn

APP = "siyu.web.app:app_from_env"  # each process builds its app from the environment


def serve_processes(host: str, port: int, workers: int) -> int:
    """Run `workers` processes until SIGINT or SIGTERM (0), or until one exits (1)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level="warning")
        return 0
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_serve_one, args=(host, port)) for _ in range(workers)]
    stopping = False

    def stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        while not stopping and all(process.is_alive() for process in processes):
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in flight
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        for number, handler in previous.items():
            signal.signal(number, handler)
    if stopping:
        return 0
    codes = [process.exitcode for process in processes]
    print(f"a server process exited (codes {codes}): is port {port} in use?", file=sys.stderr)
    return 1


def _serve_one(host: str, port: int) -> None:
    config = uvicorn.Config(APP, factory=True, log_level="warning")
    uvicorn.Server(config).run(sockets=[listener(host, port)])


def listener(host: str, port: int) -> socket.socket:
    """A listening socket of its own on the shared port (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say so (otherwise each
    # small answer on a keep-alive connection waits for the client's delayed ACK, ~40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock
