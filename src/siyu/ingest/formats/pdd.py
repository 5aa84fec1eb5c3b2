"""Pinduoduo 拼多多 order exports (商家后台 订单查询 → 导出).

Accepted layouts, recognised by header names (the column order is user-configurable in PDD's
export dialog): the 2023-10 full export, the 23-column subsets starting with `订单成交时间`, and
older exports (`拼单成功时间`, `商家编码-SKU维度`, …), as UTF-8 (BOM or not) or GBK CSV, xlsx or a
zip holding one. Trailing tabs (`168.99\\t`) and a leading space in ` 用户购买手机号` are cleaned.

Grain: one row per order (a PDD order holds one product) -> `Grain.ORDER` with one line keyed
by the style id (`sku:<样式ID>`, else `product:<商品id>`).

Money: `用户实付金额(元)` is paid, `商品总价(元)` the total, `邮费(元)` the shipping; thousands
separators are accepted. The export has no refund amount: a status saying `退款成功` (in
`订单状态`, e.g. `已发货，退款成功`, or in `售后状态`) records the whole paid amount as refunded.

Order date: `订单成交时间`; when blank, the `YYMMDD` prefix of the order number
(`260517-607198974342268` -> 2026-05-17 00:00); else the row is rejected.

Buyer: `用户购买手机号` -> PHONE or MASKED_PHONE (it is often empty); receiver data is encrypted
in `消费者资料` and not read. Province and city from `省`/`市`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Final

from siyu.ingest.formats import status
from siyu.ingest.formats.cleaning import make_buyer
from siyu.ingest.formats.dates import SHANGHAI, date_from_pdd_order_id
from siyu.ingest.formats.errors import RowError
from siyu.ingest.formats.headers import AliasTable, resolve
from siyu.ingest.formats.row_status import StatusColumns, decide_row
from siyu.ingest.formats.table import Row, open_table, parse_table
from siyu.ingest.records import Grain, OrderLineRecord, OrderRecord, ParsedOrderRow

PLATFORM: Final = "pdd"
ALIASES = AliasTable.of(
    {
        "order_id": ("订单号",),
        "title": ("商品",),
        "quantity": ("商品数量(件)", "商品数量"),
        "status": ("订单状态",),
        "after_sale": ("售后状态",),
        "paid_at": ("支付时间",),
        "shipped_at": ("发货时间",),
        "completed_at": ("确认收货时间",),
        "product_id": ("商品id",),
        "properties": ("商品规格",),
        "style_id": ("样式ID",),
        "category": ("商品一级类目",),
        "sku_code": ("商家编码-规格维度", "商家编码-SKU维度"),
        "ordered_at": ("订单成交时间",),
        "total": ("商品总价(元)",),
        "shipping": ("邮费(元)",),
        "paid": ("用户实付金额(元)",),
        "province": ("省",),
        "city": ("市",),
        "phone": ("用户购买手机号",),
    }
)
REQUIRED = (("order_id",), ("paid",))


@dataclass(frozen=True, slots=True)
class Columns:
    order_id: int
    title: int
    quantity: int
    status: int
    after_sale: int
    paid_at: int
    shipped_at: int
    completed_at: int
    product_id: int
    properties: int
    style_id: int
    category: int
    sku_code: int
    ordered_at: int
    total: int
    shipping: int
    paid: int
    province: int
    city: int
    phone: int


def parse_pdd(path: Path, *, tz: tzinfo = SHANGHAI) -> Iterator[ParsedOrderRow]:
    table = open_table(path, ALIASES)
    columns = resolve(table.header, ALIASES, Columns, REQUIRED, name=table.name)
    return parse_table(table, columns.order_id, _Builder(columns, tz).build)


class _Builder:
    def __init__(self, columns: Columns, tz: tzinfo) -> None:
        self.c = columns
        self.tz = tz
        self.dates = StatusColumns(
            status=columns.status, paid_at=columns.paid_at, completed_at=columns.completed_at,
            shipped_at=columns.shipped_at, after_sale=columns.after_sale,
        )  # fmt: skip

    def build(self, row: Row) -> OrderRecord:
        c, tz = self.c, self.tz
        order_id = row.identifier(c.order_id, "order id")
        paid = row.amount(c.paid)
        decided = decide_row(row, self.dates, status.PDD, platform=PLATFORM, tz=tz, paid_fen=paid)
        outcome = decided.outcome
        return OrderRecord(
            line_no=row.row_no,
            platform=PLATFORM,
            order_id=order_id,
            status=outcome.status,
            raw_status=decided.raw_status,
            ordered_at=self._ordered_at(row, order_id),
            grain=Grain.ORDER,
            paid_at=decided.paid_at,
            shipped_at=decided.shipped_at,
            completed_at=decided.completed_at,
            total_fen=row.optional_amount(c.total),
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            shipping_fen=row.amount(c.shipping),
            buyer=make_buyer(
                (row.phone(c.phone),),
                province=row.optional(c.province),
                city=row.optional(c.city),
            ),
            line=self._line(row, paid, outcome),
            warnings=outcome.warnings,
        )

    def _ordered_at(self, row: Row, order_id: str) -> datetime:
        found = row.optional_moment(self.c.ordered_at, self.tz)
        found = found or date_from_pdd_order_id(order_id, self.tz)
        if found is None:
            label = row.label(self.c.ordered_at) if self.c.ordered_at >= 0 else "订单成交时间"
            raise RowError(f"missing date in column {label} and no YYMMDD prefix in the order id")
        return found

    def _line(self, row: Row, paid: int, outcome: status.Outcome) -> OrderLineRecord:
        c = self.c
        style_id = row.optional(c.style_id)
        product_id = row.optional(c.product_id)
        key = f"sku:{style_id}" if style_id else f"product:{product_id or row.text(c.title)}"
        return OrderLineRecord(
            line_key=key,
            title=row.text(c.title),
            quantity=row.quantity(c.quantity),
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            sku_code=row.optional(c.sku_code),
            product_code=product_id,
            sku_properties=row.optional(c.properties),
            category=row.optional(c.category),
            status=outcome.status,
        )
