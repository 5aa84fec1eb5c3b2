"""A real server for web tests: uvicorn on 127.0.0.1 in a thread, over a test database with a
small merchant, two WeCom guides and one user per role."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, select

from siyu.analytics.refresh import refresh
from siyu.customers.tables import CustomerIdentity
from siyu.db.engine import transaction
from siyu.ingest.service import ImportOptions, import_file
from siyu.security.users import create_token, create_user
from siyu.settings import Settings
from siyu.web.app import create_app

ZONE = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse battery"
ORDERS = """order_id,customer_id,phone,ordered_at,amount,status,shop
A1,C1,13800000001,2026-01-05 10:00:00,100,completed,Tmall
A2,C1,13800000001,2026-02-05 10:00:00,300,completed,Tmall
B1,C2,13800000002,2026-01-20 10:00:00,200,completed,Tmall
C1,C3,13800000003,2026-02-10 10:00:00,80,completed,Tmall
"""


def contacts_page(pairs: list[tuple[str, str, str]]) -> str:
    """(guide userid, external_userid, phone) → a batch/get_by_user response."""
    items = [
        {
            "external_contact": {"external_userid": ext, "name": f"客户{ext}", "type": 1},
            "follow_info": {"userid": guide, "createtime": 1767225600, "remark_mobiles": [phone],
                            "state": "pkgcard", "add_way": 1, "tag_id": []},
        }
        for guide, ext, phone in pairs
    ]  # fmt: skip
    return json.dumps({"errcode": 0, "errmsg": "ok", "external_contact_list": items})


@dataclass(frozen=True)
class Site:
    url: str
    engine: Engine
    tokens: dict[str, str]  # role → API token
    customers: dict[str, int]  # C1… → customer id

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(engine: Engine, folder: Path) -> tuple[dict[str, str], dict[str, int]]:
    files = {
        "orders.csv": ("orders-csv", ORDERS),
        "contacts.json": ("wecom-contacts", contacts_page(
            [("guide_a", "wmA1", "13800000001"), ("guide_b", "wmB2", "13800000002")]
        )),
    }  # fmt: skip
    for name, (fmt, text) in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        import_file(engine, path, ImportOptions(fmt, rejects_dir=folder), timezone=ZONE)
    refresh(engine, as_of=date(2026, 3, 31), zone=ZONE)
    tokens = {}
    with transaction(engine) as session:
        for role in ("admin", "operator", "analyst", "guide"):
            staff = "guide_a" if role == "guide" else None
            user = create_user(
                session, username=role, password=PASSWORD, role=role, staff_userid=staff
            )
            tokens[role] = create_token(session, user, "tests")
        rows = session.execute(
            select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "customer_ref"
            )
        ).all()
    return tokens, dict(rows)


@pytest.fixture
def site(engine: Engine, tmp_path: Path) -> Iterator[Site]:
    tokens, customers = seed(engine, tmp_path)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield Site(f"http://127.0.0.1:{port}", engine, tokens, customers)
    server.should_exit = True
    thread.join(timeout=10)
