"""Helpers for the format tests: write files shaped like real exports, and total records the
way the loader will (ORDER rows set an order's amounts, LINE rows are summed per line key)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from siyu.ingest.records import Grain, OrderRecord, RejectedRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPO_ROOT = Path(__file__).resolve().parents[3]


def at(text: str) -> datetime:
    """`YYYY-MM-DD HH:MM[:SS]` in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def header_list(text: str) -> list[str]:
    """A FORMATS.md header list: comma-separated, `␠` marking a trailing space."""
    return [name.strip().replace("␠", " ") for name in text.replace("\n", " ").split(",")]


def place(header: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """A row for `header` with `values` by (stripped) column name, '' elsewhere."""
    names = [name.strip() for name in header]
    unknown = set(values) - set(names)
    assert not unknown, f"not in header: {unknown}"
    return [values.get(name, "") for name in names]


def csv_text(rows: Iterable[Sequence[str]], *, line_end: str = "\r\n") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    return buffer.getvalue()


def write_text(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: Iterable[Sequence[object]], *, title: str = "Sheet1") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_zip(path: Path, members: Mapping[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@dataclass(frozen=True)
class Parsed:
    records: list[OrderRecord]
    rejected: list[RejectedRow]

    def order(self, order_id: str) -> OrderRecord:
        (found,) = [r for r in self.records if r.order_id == order_id and r.grain is Grain.ORDER]
        return found

    def lines_of(self, order_id: str) -> list[OrderRecord]:
        return [r for r in self.records if r.order_id == order_id]


def split(rows: Iterable[OrderRecord | RejectedRow]) -> Parsed:
    items = list(rows)
    records = [r for r in items if isinstance(r, OrderRecord)]
    rejected = [r for r in items if isinstance(r, RejectedRow)]
    assert len(records) + len(rejected) == len(items)
    return Parsed(records, rejected)


def order_totals(records: Iterable[OrderRecord]) -> dict[str, tuple[int, int]]:
    """order id -> (paid fen, refunded fen), as the loader will store them."""
    orders: dict[str, tuple[int, int]] = {}
    lines: dict[tuple[str, str], tuple[int, int]] = {}
    for record in records:
        if record.grain is Grain.ORDER:
            orders[record.order_id] = (record.paid_fen, record.refunded_fen)
        else:
            assert record.line is not None
            lines[(record.order_id, record.line.line_key)] = (record.paid_fen, record.refunded_fen)
    for (order_id, _), (paid, refunded) in lines.items():
        before = orders.get(order_id, (0, 0))
        orders[order_id] = (before[0] + paid, before[1] + refunded)
    return orders


def net_revenue_fen(records: Iterable[OrderRecord]) -> int:
    return sum(paid - refunded for paid, refunded in order_totals(records).values())
