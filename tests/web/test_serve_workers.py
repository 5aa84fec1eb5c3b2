"""`siyu serve --workers N`: N processes answer on one port and share its connections, and a
console login made with one of them holds on the others (they sign cookies with one key)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from siyu.db.engine import transaction
from siyu.security.users import create_token, create_user
from siyu.web.processes import listener
from tests.web.conftest import PASSWORD, _free_port
from tests.web.test_console import csrf

WORKERS = 2


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def connections(pid: int, port: int) -> int:
    """The established TCP connections to `port` that process `pid` holds (Linux /proc)."""
    try:
        inodes = {str(link.readlink()) for link in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:
        return 0
    held = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            established = fields[3] == "01"
            held += local_port == port and established and f"socket:[{fields[9]}]" in inodes
    return held


@pytest.fixture
def served(engine: Engine) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    with transaction(engine) as session:
        user = create_user(session, username="admin", password=PASSWORD, role="admin")
        token = create_token(session, user, "tests")
    port = _free_port()
    url = engine.url.render_as_string(hide_password=False)
    command = [str(Path(sys.executable).parent / "siyu"), "--db", url, "serve",
               "--port", str(port), "--workers", str(WORKERS)]  # fmt: skip
    server = subprocess.Popen(command)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/api/v1/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"siyu serve --workers did not answer (exit code {server.poll()})")
    yield base, token, server
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_workers_serve_one_port_and_share_the_login(
    served: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    base, token, server = served
    port = int(base.rsplit(":", 1)[1])
    clients = [httpx.Client(base_url=base, timeout=30) for _ in range(16)]
    with ThreadPoolExecutor(len(clients)) as pool:  # keep-alive connections opened together
        statuses = list(pool.map(lambda client: client.get("/api/v1/health").status_code, clients))
    assert statuses == [200] * len(clients)
    held = [connections(pid, port) for pid in children(server.pid)]
    assert sum(held) == len(clients)
    assert sum(count > 0 for count in held) == WORKERS, f"connections per process: {held}"
    for client in clients:
        client.close()
    with httpx.Client(base_url=base, timeout=30) as client:
        form = csrf(client.get("/login").text)
        answer = client.post(
            "/login", data={"username": "admin", "password": PASSWORD, "csrf": form}
        )
        assert answer.status_code == 303
        cookies = dict(client.cookies)
    for _ in range(12):  # a new connection each time: the kernel spreads them over the processes
        with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
            assert client.get("/customers").status_code == 200  # not sent back to /login
        with httpx.Client(base_url=base, timeout=30) as client:
            answer = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200
    server.terminate()
    assert server.wait(timeout=30) == 0


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT here")
def test_each_process_listens_on_its_own_socket_that_asyncio_marks_nodelay() -> None:
    port = _free_port()
    first, second = listener("127.0.0.1", port), listener("127.0.0.1", port)  # one port, two
    try:
        for sock in (first, second):
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            # asyncio sets TCP_NODELAY on accepted sockets only when the protocol is named
            assert sock.proto == socket.IPPROTO_TCP
    finally:
        first.close()
        second.close()
