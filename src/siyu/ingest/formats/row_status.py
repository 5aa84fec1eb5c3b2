"""The dates and status of one platform order row, decided the same way for every platform.

JD, Pinduoduo, Douyin and Youzan rows each carry paid/shipped/completed dates, a status text and
(some of them) an after-sale status or a refund amount. `decide_row` reads those cells (a
column position of -1 means the file has no such column) and lets `status.decide` settle the
status, the refund and the warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from siyu.ingest.formats import status
from siyu.ingest.formats.table import Row
from siyu.ingest.records import OrderStatus


@dataclass(frozen=True, slots=True)
class StatusColumns:
    status: int
    paid_at: int
    completed_at: int
    shipped_at: int = -1
    after_sale: int = -1
    refund_amount: int = -1


@dataclass(frozen=True, slots=True)
class RowStatus:
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    raw_status: str  # "" when the file has no status column
    outcome: status.Outcome


def decide_row(
    row: Row,
    columns: StatusColumns,
    table: Mapping[str, OrderStatus],
    *,
    platform: str,
    tz: tzinfo,
    paid_fen: int,
) -> RowStatus:
    paid_at = row.optional_moment(columns.paid_at, tz)
    shipped_at = row.optional_moment(columns.shipped_at, tz)
    completed_at = row.optional_moment(columns.completed_at, tz)
    raw_status = row.text(columns.status) if columns.status >= 0 else None
    outcome = status.decide(
        raw_status,
        table,
        platform=platform,
        fallback=status.from_dates(paid_at, shipped_at, completed_at),
        paid_fen=paid_fen,
        refund_amount=row.optional_amount(columns.refund_amount),
        after_sale=row.text(columns.after_sale) if columns.after_sale >= 0 else None,
    )
    return RowStatus(paid_at, shipped_at, completed_at, raw_status or "", outcome)
