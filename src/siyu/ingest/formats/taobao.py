"""Taobao / Tmall order exports (卖家中心「已卖出的宝贝」→ 批量导出, and 千牛).

Accepted layouts, recognised by header names (never positions), as CSV (GBK or UTF-8), xlsx
(the `订单报表` sheet when present, else the first) or a zip holding one of them:

- ExportOrderList A (2016, 41 columns), B (2017, 46), C (2019–20, 61) and the 千牛 2023
  order-level export: one row per order -> `Grain.ORDER`, no line.
- 千牛 2023 line-level export and ExportOrderDetailList (~2019 Tmall): a `子订单编号` column makes
  the file line-level -> `Grain.LINE`, one line per row keyed by 子订单编号, under 主订单编号.
- The anonymised Tmall report (7 columns, no status column).
- The 2017 ExportOrderDetailList (10 columns) has no order date or paid amount, so it cannot be
  imported on its own: `FormatError` names the missing 订单创建时间 column.

Money: `买家实际支付金额` (or `买家实付金额`) is what the buyer paid *net of refunds* — the real
Tmall export shows it as 0 for fully refunded orders, with the refund in `退款金额` — so the
paid amount recorded is `买家实际支付金额 + 退款金额`, and `退款金额` is the refund. `退款金额`
text such as `无退款申请` is zero. `总金额` is the total, `买家应付邮费` the shipping.

Buyer: `买家会员名` -> BUYER_ID; `买家支付宝账号` -> EMAIL when it looks like one (else a phone
key when it is one); `联系手机` and `联系电话` -> PHONE, or MASKED_PHONE when masked; name from
`收货人姓名`; province and city from `收货地址`. Platform is `taobao` for Taobao and Tmall alike
(one buyer-account system).

Status: `订单状态` (and item-level `退款状态`) via `status.TAOBAO`; without a status column it is
inferred from the dates and refunds (see `siyu.ingest.formats.status`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Final

from siyu.ingest.formats import status
from siyu.ingest.formats.cleaning import account_key, key_of, make_buyer, region
from siyu.ingest.formats.dates import SHANGHAI
from siyu.ingest.formats.errors import FormatError
from siyu.ingest.formats.headers import AliasTable, resolve
from siyu.ingest.formats.table import Row, open_table, parse_table
from siyu.ingest.records import (
    Buyer,
    BuyerKeyKind,
    Grain,
    OrderLineRecord,
    OrderRecord,
    ParsedOrderRow,
)

PLATFORM: Final = "taobao"
SHEETS = ("订单报表",)
ALIASES = AliasTable.of(
    {
        "order_id": ("订单编号", "主订单编号"),
        "sub_order_id": ("子订单编号",),
        "buyer_id": ("买家会员名",),
        "alipay": ("买家支付宝账号",),
        "total": ("总金额",),
        "paid": ("买家实际支付金额", "买家实付金额"),
        "shipping": ("买家应付邮费",),
        "refund": ("退款金额",),
        "refund_state": ("退款状态",),
        "status": ("订单状态",),
        "receiver": ("收货人姓名",),
        "address": ("收货地址",),
        "mobile": ("联系手机",),
        "telephone": ("联系电话",),
        "ordered_at": ("订单创建时间",),
        "paid_at": ("订单付款时间",),
        "shipped_at": ("发货时间",),
        "completed_at": ("确认收货时间",),
        "shop": ("店铺名称",),
        "title": ("商品标题", "标题"),
        "price": ("价格",),
        "quantity": ("购买数量",),
        "sku_code": ("商家编码",),
        "product_id": ("商品ID",),
        "properties": ("商品属性",),
    }
)
REQUIRED = (("order_id",), ("ordered_at",), ("paid",))


@dataclass(frozen=True, slots=True)
class Columns:
    order_id: int
    sub_order_id: int
    buyer_id: int
    alipay: int
    total: int
    paid: int
    shipping: int
    refund: int
    refund_state: int
    status: int
    receiver: int
    address: int
    mobile: int
    telephone: int
    ordered_at: int
    paid_at: int
    shipped_at: int
    completed_at: int
    shop: int
    title: int
    price: int
    quantity: int
    sku_code: int
    product_id: int
    properties: int


def parse_taobao(path: Path, *, tz: tzinfo = SHANGHAI) -> Iterator[ParsedOrderRow]:
    table = open_table(path, ALIASES, sheets=SHEETS)
    if (
        table.header.position(("标题",)) >= 0
        and table.header.position(ALIASES.fields["ordered_at"]) < 0
    ):
        raise FormatError(
            f"{table.name}: missing required column 订单创建时间 — this 2017 ExportOrderDetailList "
            "has no order dates or paid amounts; import the matching ExportOrderList instead"
        )
    columns = resolve(table.header, ALIASES, Columns, REQUIRED, name=table.name)
    builder = _Builder(columns, tz, datetime.now(tz))
    return parse_table(table, columns.order_id, builder.build)


class _Builder:
    def __init__(self, columns: Columns, tz: tzinfo, now: datetime) -> None:
        self.c = columns
        self.tz = tz
        self.now = now
        self.grain = Grain.LINE if columns.sub_order_id >= 0 else Grain.ORDER

    def build(self, row: Row) -> OrderRecord:
        c, tz = self.c, self.tz
        order_id = row.identifier(c.order_id, "order id")
        ordered_at = row.moment(c.ordered_at, tz)
        paid_at = row.optional_moment(c.paid_at, tz)
        shipped_at = row.optional_moment(c.shipped_at, tz)
        completed_at = row.optional_moment(c.completed_at, tz)
        refund = row.optional_amount(c.refund)
        paid = row.amount(c.paid) + (refund or 0)  # 买家实际支付金额 is net of refunds
        fallback = status.from_dates(paid_at, shipped_at, completed_at)
        raw_status = row.text(c.status) if c.status >= 0 else None
        if raw_status is None:
            fallback = status.without_status_column(fallback, ordered_at, self.now)
        refund_state = row.text(c.refund_state) if c.refund_state >= 0 else None
        outcome = status.decide(
            raw_status,
            status.TAOBAO,
            platform=PLATFORM,
            fallback=fallback,
            paid_fen=paid,
            refund_amount=refund,
            after_sale=refund_state,
        )
        return OrderRecord(
            line_no=row.row_no,
            platform=PLATFORM,
            order_id=order_id,
            status=outcome.status,
            raw_status=raw_status or "",
            ordered_at=ordered_at,
            grain=self.grain,
            paid_at=paid_at,
            shipped_at=shipped_at,
            completed_at=completed_at,
            total_fen=row.optional_amount(c.total),
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            shipping_fen=row.amount(c.shipping),
            shop_name=row.optional(c.shop),
            buyer=self._buyer(row),
            line=self._line(row, paid, outcome) if self.grain is Grain.LINE else None,
            warnings=outcome.warnings,
        )

    def _buyer(self, row: Row) -> Buyer:
        c = self.c
        buyer_id = row.optional(c.buyer_id)
        province, city = region(row.text(c.address))
        return make_buyer(
            (
                key_of(BuyerKeyKind.BUYER_ID, buyer_id),
                account_key(row.text(c.alipay)),
                row.phone(c.mobile),
                row.phone(c.telephone),
            ),
            name=row.optional(c.receiver),
            province=province,
            city=city,
        )

    def _line(self, row: Row, paid: int, outcome: status.Outcome) -> OrderLineRecord:
        c = self.c
        return OrderLineRecord(
            line_key=row.identifier(c.sub_order_id, "sub-order id"),
            title=row.text(c.title),
            quantity=row.quantity(c.quantity),
            unit_price_fen=row.optional_amount(c.price),
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            sku_code=row.optional(c.sku_code),
            product_code=row.optional(c.product_id),
            sku_properties=row.optional(c.properties),
            status=outcome.status,
        )
