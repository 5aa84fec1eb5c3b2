"""Helpers for the loyalty tests: import realistic orders-csv files, find their customers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from siyu.customers.tables import CustomerIdentity
from siyu.db.engine import transaction
from siyu.ingest.service import ImportOptions, ImportResult, import_file
from siyu.loyalty.points import ledger_sum
from siyu.loyalty.tables import PointsEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "order_id,customer_id,phone,ordered_at,amount,status,refund_amount,coupon_code\n"


def at(text: str) -> datetime:
    """An aware UTC time from 'YYYY-MM-DD[ HH:MM]' (UTC)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def import_orders(
    engine: Engine, tmp_path: Path, rows: Sequence[str], name: str = "orders.csv"
) -> ImportResult:
    """Import orders-csv rows: order_id,customer_id,phone,ordered_at,amount,status,
    refund_amount,coupon_code (ordered_at is Shanghai time)."""
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    options = ImportOptions("orders-csv", rejects_dir=tmp_path / "rejects")
    return import_file(engine, path, options, timezone=SHANGHAI)


def customer_id(engine: Engine, reference: str) -> int:
    """The customer behind a merchant customer id in the orders file."""
    with transaction(engine) as session:
        return session.scalars(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "customer_ref", CustomerIdentity.value == reference
            )
        ).one()


def balance(engine: Engine, customer: int) -> int:
    with transaction(engine) as session:
        return ledger_sum(session, customer)


def entries(engine: Engine, customer: int) -> list[tuple[str, int, int]]:
    """(kind, points, shortfall) of the customer's entries, oldest first."""
    with transaction(engine) as session:
        rows = session.execute(
            select(PointsEntry.kind, PointsEntry.points, PointsEntry.shortfall)
            .where(PointsEntry.customer_id == customer)
            .order_by(PointsEntry.id)
        )
        return [(kind, int(points), int(short)) for kind, points, short in rows]


def ledger_rows(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(PointsEntry)) or 0)
