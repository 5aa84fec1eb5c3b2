"""A small merchant built the way a real one is: files imported with the real importers, then
`siyu refresh` (profiles, lifecycle, CLV, then rule tags and segments) through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select

from siyu.cli.main import run
from siyu.customers.tables import CustomerIdentity
from siyu.db.engine import transaction
from siyu.ingest.service import ImportOptions, import_file
from tests.segments.world import ZONE

ORDERS_HEADER = (
    "order_id,customer_id,phone,ordered_at,amount,status,refund_amount,category,sku,shop\n"
)
EVENTS_HEADER = "customer_id,event_type,item,category,occurred_at\n"
# C1: one order in June (first_order). C2: two orders (second_order). C3: a refunded order only.
# P1, P2: behaviour, no order (prospects). C4 has a phone.
ORDERS = [
    ("A1", "C1", "", "2026-06-01 12:00:00", "100", "completed", "", "护肤", "S1"),
    ("B1", "C2", "", "2026-05-01 12:00:00", "50", "completed", "", "彩妆", ""),
    ("B2", "C2", "", "2026-06-01 12:00:00", "60", "completed", "", "护肤", "S1"),
    ("R1", "C3", "", "2026-06-02 12:00:00", "80", "refunded", "80", "护肤", ""),
    ("D1", "C4", "13800138000", "2026-03-01 12:00:00", "300", "completed", "", "护肤", ""),
]
EVENTS = [
    ("P1", "cart", "精华", "护肤", "2026-06-05 10:00:00"),
    ("P2", "view", "口红", "彩妆", "2026-06-10 10:00:00"),
    ("C1", "favourite", "精华", "护肤", "2026-06-10 10:00:00"),
]


def orders_text(rows: list[tuple[str, ...]]) -> str:
    return ORDERS_HEADER + "".join(",".join((*row, "Tmall")) + "\n" for row in rows)


def events_text(rows: list[tuple[str, ...]]) -> str:
    return EVENTS_HEADER + "".join(",".join(row) + "\n" for row in rows)


def load(engine: Engine, folder: Path, name: str, text: str, fmt: str) -> None:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    import_file(engine, path, ImportOptions(fmt, rejects_dir=folder / "rejects"), timezone=ZONE)


def build(engine: Engine, folder: Path) -> dict[str, int]:
    """Import the merchant's files; returns merchant customer ref → customer id."""
    load(engine, folder, "orders.csv", orders_text(ORDERS), "orders-csv")
    load(engine, folder, "events.csv", events_text(EVENTS), "events")
    return refs(engine)


def refs(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        rows = session.execute(
            select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "customer_ref"
            )
        )
        return dict(rows.all())


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in-process; (exit code, stdout). Errors go to stderr (captured by pytest)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run(list(args))
    return code, out.getvalue()


def refresh(db_url: str, as_of: str) -> dict[str, object]:
    code, out = cli("--db", db_url, "refresh", "--as-of", as_of, "--json")
    assert code == 0, out
    result: dict[str, object] = json.loads(out)
    return result
