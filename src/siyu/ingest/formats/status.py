"""Platform status texts -> `OrderStatus`, and the rules used when a file has no usable status.

Texts are normalised first: NFKC (full-width `，` becomes `,`), all spaces removed, and JD's
`(删除)`/`(锁定)` prefixes dropped (a deleted or locked JD order keeps its underlying state).

Refunds: amounts decide. A positive refund equal to or above what was paid gives `refunded`,
a smaller one `partially_refunded` (`settle`). A text that says the whole order or line was
refunded (PDD `已发货，退款成功`, Douyin 售后状态 `退款成功`, Taobao 退款状态 `退款成功`) with no
refund amount in the file means a full refund: the parser sets the refund to the paid amount.

Unknown texts are never dropped: the row keeps its raw status, gets the status its dates imply
(`from_dates`: completed if completed, else shipped if shipped, else paid if paid, else
pending_payment), and carries a warning naming the text.

Files without a status column (the real Tmall report) use `from_dates` too, except that an
unpaid order older than `UNPAID_CLOSE_AFTER` is `closed`: Taobao/Tmall close unpaid orders
automatically within 72 hours, so an old unpaid order can no longer be pending.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from siyu.ingest.formats.cleaning import NULLS
from siyu.ingest.records import OrderStatus as S

UNPAID_CLOSE_AFTER = timedelta(hours=72)
_JD_PREFIX = re.compile(r"^(?:\((?:删除|锁定)\))+")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)  # a file holds a handful of distinct status texts
def normalize_status(raw: str) -> str:
    text = _SPACES.sub("", unicodedata.normalize("NFKC", raw)).lower()
    return _JD_PREFIX.sub("", text).replace("_", "").replace("-", "")


def _table(entries: Mapping[str, S]) -> Mapping[str, S]:
    return {normalize_status(text): status for text, status in entries.items()}


TAOBAO = _table(
    {
        "等待买家付款": S.PENDING_PAYMENT,
        "买家已付款,等待卖家发货": S.PAID,
        "买家已付款": S.PAID,
        "等待卖家发货": S.PAID,
        "卖家部分发货": S.SHIPPED,
        "卖家已发货,等待买家确认": S.SHIPPED,
        "卖家已发货": S.SHIPPED,
        "交易成功": S.COMPLETED,
        "交易关闭": S.CLOSED,
        "付款以后用户退款成功,交易自动关闭": S.REFUNDED,
    }
)
JD = _table(
    {
        "等待付款": S.PENDING_PAYMENT,
        "等待出库": S.PAID,
        "等待发货": S.PAID,
        "锁定": S.PAID,  # frozen while a cancellation or after-sale request is decided
        "等待确认收货": S.SHIPPED,
        "完成": S.COMPLETED,
        "已完成": S.COMPLETED,
        "已取消": S.CLOSED,
        "取消": S.CLOSED,
    }
)
PDD = _table(
    {
        "待支付": S.PENDING_PAYMENT,
        "待付款": S.PENDING_PAYMENT,
        "待发货": S.PAID,
        "已发货": S.SHIPPED,
        "已发货,待签收": S.SHIPPED,
        "已发货,待收货": S.SHIPPED,
        "已签收": S.COMPLETED,
        "已收货": S.COMPLETED,
        "已取消": S.CLOSED,
        "未成交": S.CLOSED,
    }
)
DOUYIN = _table(
    {
        "待支付": S.PENDING_PAYMENT,
        "待付款": S.PENDING_PAYMENT,
        "待发货": S.PAID,
        "备货中": S.PAID,
        "已支付": S.PAID,
        "部分发货": S.SHIPPED,
        "已发货": S.SHIPPED,
        "已完成": S.COMPLETED,
        "已关闭": S.CLOSED,
        "已取消": S.CLOSED,
    }
)
YOUZAN = _table(
    {
        "待付款": S.PENDING_PAYMENT,
        "待成团": S.PAID,
        "待发货": S.PAID,
        "已发货": S.SHIPPED,
        "交易成功": S.COMPLETED,
        "交易完成": S.COMPLETED,
        "交易关闭": S.CLOSED,
        "已关闭": S.CLOSED,
    }
)
GENERIC = _table(
    {
        **{status.value: status for status in S},
        "pending": S.PENDING_PAYMENT,
        "unpaid": S.PENDING_PAYMENT,
        "awaiting_payment": S.PENDING_PAYMENT,
        "dispatched": S.SHIPPED,
        "delivered": S.COMPLETED,
        "complete": S.COMPLETED,
        "done": S.COMPLETED,
        "cancelled": S.CLOSED,
        "canceled": S.CLOSED,
        "partial_refund": S.PARTIALLY_REFUNDED,
        "partially_refund": S.PARTIALLY_REFUNDED,
    }
)
# After-sale (售后) texts that mean money went back; every other known text means it did not.
AFTER_SALE_REFUNDED = frozenset({"退款成功", "退货退款成功", "已退款", "全额退款"})
AFTER_SALE_OTHER = frozenset(
    {"无售后或售后取消", "无售后/取消售后", "售后处理中", "退款中", "售后中", "售后完成"}
    | {"售后关闭", "售后取消", "退款关闭", "没有申请退款", "无退款申请", "无退款", "部分退款"}
)


def map_status(
    raw: str, table: Mapping[str, S], *, platform: str, fallback: S
) -> tuple[S, tuple[str, ...]]:
    """The mapped status, or `fallback` plus a warning for an empty or unknown text."""
    key = normalize_status(raw)
    found = table.get(key) or _combined(key, table)
    if found is not None:
        return found, ()
    what = f"unknown {platform} status {raw!r}" if key else f"no {platform} status"
    return fallback, (f"{what}: recorded as {fallback.value}",)


def _combined(key: str, table: Mapping[str, S]) -> S | None:
    """PDD packs two states in one text (`已发货，退款成功`): a refund wins, else the first part."""
    parts = key.split(",")
    if len(parts) < 2:
        return None
    if parts[-1] == "退款成功":
        return S.REFUNDED
    return table.get(parts[0])


def after_sale_refunded(raw: str, *, platform: str) -> tuple[bool, tuple[str, ...]]:
    """Whether an after-sale / refund-state text says the money went back."""
    key = normalize_status(raw)
    if key in NULLS:
        return False, ()
    if key in AFTER_SALE_REFUNDED:
        return True, ()
    if key in AFTER_SALE_OTHER:
        return False, ()
    return False, (f"unknown {platform} after-sale status {raw!r}: no refund assumed",)


def from_dates(
    paid_at: datetime | None, shipped_at: datetime | None, completed_at: datetime | None
) -> S:
    if completed_at is not None:
        return S.COMPLETED
    if shipped_at is not None:
        return S.SHIPPED
    return S.PAID if paid_at is not None else S.PENDING_PAYMENT


def without_status_column(inferred: S, ordered_at: datetime, now: datetime) -> S:
    """An unpaid order older than the platform's auto-close window is closed."""
    if inferred is S.PENDING_PAYMENT and now - ordered_at > UNPAID_CLOSE_AFTER:
        return S.CLOSED
    return inferred


def refund_fen(refund_amount: int | None, paid_fen: int, *, says_refunded: bool) -> int:
    """The refund to record: the amount when the file has one, else all of it when a status
    text says the order (or line) was refunded, else nothing."""
    if refund_amount:
        return refund_amount
    return paid_fen if says_refunded else 0


def settle(status: S, paid_fen: int, refunded_fen: int) -> S:
    """Let refund amounts decide between refunded and partially_refunded."""
    if refunded_fen <= 0:
        return status
    return S.REFUNDED if refunded_fen >= paid_fen else S.PARTIALLY_REFUNDED


@dataclass(frozen=True, slots=True)
class Outcome:
    status: S
    refunded_fen: int
    warnings: tuple[str, ...]


def decide(
    raw: str | None,
    table: Mapping[str, S],
    *,
    platform: str,
    fallback: S,
    paid_fen: int,
    refund_amount: int | None = None,
    after_sale: str | None = None,
) -> Outcome:
    """Status, refund and warnings of one row. `raw` None: the file has no status column, so
    `fallback` is used without a warning; `after_sale` None: no after-sale column."""
    status, warnings = (
        (fallback, ())
        if raw is None
        else map_status(raw, table, platform=platform, fallback=fallback)
    )
    says_refunded = status is S.REFUNDED
    if after_sale is not None:
        refunded, more = after_sale_refunded(after_sale, platform=platform)
        says_refunded, warnings = says_refunded or refunded, warnings + more
    refunded_fen = refund_fen(refund_amount, paid_fen, says_refunded=says_refunded)
    return Outcome(settle(status, paid_fen, refunded_fen), refunded_fen, warnings)
