"""Youzan 有赞 order exports (订单 → 导出, order level).

Accepted layouts, recognised by header names: the 60-column order export (with its two
`分销员` columns, kept apart as `分销员`/`分销员.1`) and the common subset (订单号, 买家付款时间,
收货人手机号/提货人手机号, 全部商品名称, 订单实付金额, 买家昵称, 优惠券码名称, 分销员, …), as UTF-8
CSV (BOM or not; GBK accepted), xlsx or a zip holding one. `——` and a lone space are empty.

Grain: one row per order -> `Grain.ORDER`, no line (`全部商品名称` joins several products).

Money: `订单实付金额` is paid, `商品金额合计` the total, `运费` the shipping and `订单已退款金额`
the refund; a `订单退款状态` saying `全额退款`/`退款成功` without an amount refunds the whole order.

Order date: `订单创建时间`; the subset export has none, so `买家付款时间` stands in.

Buyer: `买家手机号` -> PHONE (or MASKED_PHONE for `186******05`); the receiver's phone
(`收货人手机号/提货人手机号`) is used only when the buyer's is missing, since it may be a gift
recipient's. `买家昵称` is the name (a WeChat nickname is not unique, so it is not an identity
key), else `收货人/提货人`. Province and city from `收货人省份`/`收货人城市`. `归属店铺` is the
shop and `优惠券码名称` the coupon code.

Status: `订单状态` via `status.YOUZAN`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Final

from siyu.ingest.formats import status
from siyu.ingest.formats.cleaning import make_buyer
from siyu.ingest.formats.dates import SHANGHAI
from siyu.ingest.formats.errors import RowError
from siyu.ingest.formats.headers import AliasTable, resolve
from siyu.ingest.formats.row_status import StatusColumns, decide_row
from siyu.ingest.formats.table import Row, open_table, parse_table
from siyu.ingest.records import Buyer, Grain, OrderRecord, ParsedOrderRow

PLATFORM: Final = "youzan"
ALIASES = AliasTable.of(
    {
        "order_id": ("订单号",),
        "shop": ("归属店铺",),
        "status": ("订单状态",),
        "ordered_at": ("订单创建时间",),
        "paid_at": ("买家付款时间",),
        "completed_at": ("交易成功时间",),
        "total": ("商品金额合计",),
        "shipping": ("运费",),
        "paid": ("订单实付金额",),
        "refund_state": ("订单退款状态",),
        "refunded": ("订单已退款金额",),
        "nickname": ("买家昵称",),
        "buyer_phone": ("买家手机号",),
        "receiver_phone": ("收货人手机号/提货人手机号", "收货人手机号"),
        "receiver": ("收货人/提货人", "收货人"),
        "province": ("收货人省份",),
        "city": ("收货人城市",),
        "coupon": ("优惠券码名称",),
    }
)
REQUIRED = (("order_id",), ("paid",), ("ordered_at", "paid_at"))


@dataclass(frozen=True, slots=True)
class Columns:
    order_id: int
    shop: int
    status: int
    ordered_at: int
    paid_at: int
    completed_at: int
    total: int
    shipping: int
    paid: int
    refund_state: int
    refunded: int
    nickname: int
    buyer_phone: int
    receiver_phone: int
    receiver: int
    province: int
    city: int
    coupon: int


def parse_youzan(path: Path, *, tz: tzinfo = SHANGHAI) -> Iterator[ParsedOrderRow]:
    table = open_table(path, ALIASES)
    columns = resolve(table.header, ALIASES, Columns, REQUIRED, name=table.name)
    return parse_table(table, columns.order_id, _Builder(columns, tz).build)


class _Builder:
    def __init__(self, columns: Columns, tz: tzinfo) -> None:
        self.c = columns
        self.tz = tz
        self.dates = StatusColumns(
            status=columns.status, paid_at=columns.paid_at, completed_at=columns.completed_at,
            after_sale=columns.refund_state, refund_amount=columns.refunded,
        )  # fmt: skip

    def build(self, row: Row) -> OrderRecord:
        c, tz = self.c, self.tz
        order_id = row.identifier(c.order_id, "order id")
        paid = row.amount(c.paid)
        decided = decide_row(
            row, self.dates, status.YOUZAN, platform=PLATFORM, tz=tz, paid_fen=paid
        )
        outcome = decided.outcome
        return OrderRecord(
            line_no=row.row_no,
            platform=PLATFORM,
            order_id=order_id,
            status=outcome.status,
            raw_status=decided.raw_status,
            ordered_at=self._ordered_at(row, decided.paid_at),
            grain=Grain.ORDER,
            paid_at=decided.paid_at,
            completed_at=decided.completed_at,
            total_fen=row.optional_amount(c.total),
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            shipping_fen=row.amount(c.shipping),
            shop_name=row.optional(c.shop),
            buyer=self._buyer(row),
            coupon_code=row.optional(c.coupon),
            warnings=outcome.warnings,
        )

    def _ordered_at(self, row: Row, paid_at: datetime | None) -> datetime:
        found = row.optional_moment(self.c.ordered_at, self.tz) or paid_at
        if found is None:
            label = row.label(self.c.ordered_at) if self.c.ordered_at >= 0 else "买家付款时间"
            raise RowError(f"missing date in column {label}")
        return found

    def _buyer(self, row: Row) -> Buyer:
        c = self.c
        phone = row.phone(c.buyer_phone) or row.phone(c.receiver_phone)
        return make_buyer(
            (phone,),
            name=row.optional(c.nickname) or row.optional(c.receiver),
            province=row.optional(c.province),
            city=row.optional(c.city),
        )
