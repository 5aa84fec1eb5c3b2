"""Douyin 抖店 order exports (订单管理 → 批量导出).

Accepted layouts, recognised by header names: the full export (主订单编号, 子订单编号, 选购商品,
…, 售后状态, 建议发货时间（止）) and the subsets parsers use (`商品金额`, `商品编码`,
`订单提交日期`, …), as UTF-8-with-BOM CSV (also GBK), xlsx or a zip holding one. Every id and
text cell's protective leading TAB is stripped; `-` means empty.

Grain: one row per sub-order -> `Grain.LINE`, keyed by `子订单编号` under `主订单编号`; the
order's amounts are the sum of its lines. Gifts are sub-orders at 0.00 and are kept as lines.

Money: `订单应付金额` is the sub-order's paid amount (`商品金额` when that is the only amount),
`运费` its shipping, `商品单价` the unit price. There is no refund amount: `售后状态` `退款成功`
records the line's whole paid amount as refunded.

Buyer: `收件人手机号` is ciphertext (`$$…`) in normal exports -> MASKED_PHONE (a plain phone would
be PHONE); `收件人` is used as the name only when it is not ciphertext. Province and city from
`省`/`市`.

Status: `订单状态` via `status.DOUYIN`; `售后状态` decides refunds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Final

from siyu.ingest.formats import status
from siyu.ingest.formats.cleaning import make_buyer, plain_name
from siyu.ingest.formats.dates import SHANGHAI
from siyu.ingest.formats.headers import AliasTable, resolve
from siyu.ingest.formats.row_status import StatusColumns, decide_row
from siyu.ingest.formats.table import Row, open_table, parse_table
from siyu.ingest.records import Grain, OrderLineRecord, OrderRecord, ParsedOrderRow

PLATFORM: Final = "douyin"
ALIASES = AliasTable.of(
    {
        "order_id": ("主订单编号",),
        "sub_order_id": ("子订单编号",),
        "title": ("选购商品",),
        "properties": ("商品规格",),
        "quantity": ("商品数量",),
        "product_id": ("商品ID",),
        "sku_code": ("商家编码", "商品编码"),
        "unit_price": ("商品单价",),
        "paid": ("订单应付金额", "商品金额"),
        "shipping": ("运费",),
        "receiver": ("收件人",),
        "phone": ("收件人手机号",),
        "province": ("省",),
        "city": ("市",),
        "ordered_at": ("订单提交时间", "订单提交日期"),
        "completed_at": ("订单完成时间",),
        "paid_at": ("支付完成时间",),
        "shipped_at": ("发货时间",),
        "status": ("订单状态",),
        "after_sale": ("售后状态",),
    }
)
REQUIRED = (("order_id",), ("ordered_at",), ("paid",))


@dataclass(frozen=True, slots=True)
class Columns:
    order_id: int
    sub_order_id: int
    title: int
    properties: int
    quantity: int
    product_id: int
    sku_code: int
    unit_price: int
    paid: int
    shipping: int
    receiver: int
    phone: int
    province: int
    city: int
    ordered_at: int
    completed_at: int
    paid_at: int
    shipped_at: int
    status: int
    after_sale: int


def parse_douyin(path: Path, *, tz: tzinfo = SHANGHAI) -> Iterator[ParsedOrderRow]:
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
        decided = decide_row(
            row, self.dates, status.DOUYIN, platform=PLATFORM, tz=tz, paid_fen=paid
        )
        outcome = decided.outcome
        return OrderRecord(
            line_no=row.row_no,
            platform=PLATFORM,
            order_id=order_id,
            status=outcome.status,
            raw_status=decided.raw_status,
            ordered_at=row.moment(c.ordered_at, tz),
            grain=Grain.LINE,
            paid_at=decided.paid_at,
            shipped_at=decided.shipped_at,
            completed_at=decided.completed_at,
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            shipping_fen=row.amount(c.shipping),
            buyer=make_buyer(
                (row.phone(c.phone),),
                name=plain_name(row.text(c.receiver)),
                province=row.optional(c.province),
                city=row.optional(c.city),
            ),
            line=self._line(row, paid, outcome),
            warnings=outcome.warnings,
        )

    def _line(self, row: Row, paid: int, outcome: status.Outcome) -> OrderLineRecord:
        c = self.c
        sub_order_id = row.optional_identifier(c.sub_order_id, "sub-order id")
        product_id = row.optional(c.product_id)
        return OrderLineRecord(
            line_key=sub_order_id or f"product:{product_id or row.text(c.title)}",
            title=row.text(c.title),
            quantity=row.quantity(c.quantity),
            unit_price_fen=row.optional_amount(c.unit_price),
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            sku_code=row.optional(c.sku_code),
            product_code=product_id,
            sku_properties=row.optional(c.properties),
            status=outcome.status,
        )
