"""JD 京东 POP order exports (商家后台 订单导出).

Accepted layouts, recognised by header names: the 2015 30-column export, its later additions
(送装服务, 仓库名称, 商家SKUID, 邮箱地址, …) and the 48-column invoice variant (订单编号, 商品编号,
订单数量, 实付金额, 手机号, …), as GBK/UTF-8 CSV, xlsx or a zip holding one.

Grain: one row per SKU with the order's amounts repeated on every row, so each row is a
`Grain.ORDER` record (the loader sets, never sums, the order amounts) carrying one line keyed by
the SKU id (`sku:<商品ID>`).

Money: the paid amount is `结算金额` (or `实付金额`) when present, else `应付金额 + 余额支付`
(balance is the buyer's money too). `订单金额` is the total, `运费金额` the shipping, `京东价` the
line's unit price. The export has no refund column.

Buyer: `下单帐号`/`下单账号` -> BUYER_ID; `联系电话`/`手机号` -> PHONE or MASKED_PHONE; `邮箱地址`
-> EMAIL; name from `客户姓名`.

Status: `订单状态` via `status.JD`, after dropping the `(删除)`/`(锁定)` prefixes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Final

from siyu.ingest.formats import status
from siyu.ingest.formats.cleaning import email_key, key_of, make_buyer
from siyu.ingest.formats.dates import SHANGHAI
from siyu.ingest.formats.headers import AliasTable, resolve
from siyu.ingest.formats.row_status import StatusColumns, decide_row
from siyu.ingest.formats.table import Row, open_table, parse_table
from siyu.ingest.records import (
    BuyerKeyKind,
    Grain,
    OrderLineRecord,
    OrderRecord,
    ParsedOrderRow,
)

PLATFORM: Final = "jd"
ALIASES = AliasTable.of(
    {
        "order_id": ("订单号", "订单编号"),
        "sku_id": ("商品ID", "商品编号"),
        "title": ("商品名称",),
        "quantity": ("订购数量", "订单数量"),
        "ordered_at": ("下单时间", "订单日期"),
        "unit_price": ("京东价",),
        "total": ("订单金额",),
        "settled": ("结算金额", "实付金额"),
        "payable": ("应付金额",),
        "balance": ("余额支付",),
        "status": ("订单状态",),
        "buyer_id": ("下单账号",),
        "name": ("客户姓名",),
        "phone": ("联系电话", "手机号"),
        "email": ("邮箱地址",),
        "shipping": ("运费金额",),
        "paid_at": ("付款确认时间",),
        "completed_at": ("订单完成时间",),
        "sku_code": ("商家SKUID", "货号"),
    }
)
REQUIRED = (("order_id",), ("ordered_at",), ("settled", "payable"))


@dataclass(frozen=True, slots=True)
class Columns:
    order_id: int
    sku_id: int
    title: int
    quantity: int
    ordered_at: int
    unit_price: int
    total: int
    settled: int
    payable: int
    balance: int
    status: int
    buyer_id: int
    name: int
    phone: int
    email: int
    shipping: int
    paid_at: int
    completed_at: int
    sku_code: int


def parse_jd(path: Path, *, tz: tzinfo = SHANGHAI) -> Iterator[ParsedOrderRow]:
    table = open_table(path, ALIASES)
    columns = resolve(table.header, ALIASES, Columns, REQUIRED, name=table.name)
    return parse_table(table, columns.order_id, _Builder(columns, tz).build)


class _Builder:
    def __init__(self, columns: Columns, tz: tzinfo) -> None:
        self.c = columns
        self.tz = tz
        self.dates = StatusColumns(
            status=columns.status, paid_at=columns.paid_at, completed_at=columns.completed_at
        )

    def build(self, row: Row) -> OrderRecord:
        c, tz = self.c, self.tz
        order_id = row.identifier(c.order_id, "order id")
        ordered_at = row.moment(c.ordered_at, tz)
        paid = self._paid(row)
        decided = decide_row(row, self.dates, status.JD, platform=PLATFORM, tz=tz, paid_fen=paid)
        outcome = decided.outcome
        buyer_id = row.optional(c.buyer_id)
        return OrderRecord(
            line_no=row.row_no,
            platform=PLATFORM,
            order_id=order_id,
            status=outcome.status,
            raw_status=decided.raw_status,
            ordered_at=ordered_at,
            grain=Grain.ORDER,
            paid_at=decided.paid_at,
            completed_at=decided.completed_at,
            total_fen=row.optional_amount(c.total),
            paid_fen=paid,
            refunded_fen=outcome.refunded_fen,
            shipping_fen=row.amount(c.shipping),
            buyer=make_buyer(
                (
                    key_of(BuyerKeyKind.BUYER_ID, buyer_id),
                    row.phone(c.phone),
                    email_key(row.text(c.email)),
                ),
                name=row.optional(c.name),
            ),
            line=self._line(row),
            warnings=outcome.warnings,
        )

    def _paid(self, row: Row) -> int:
        c = self.c
        if c.settled >= 0:
            return row.amount(c.settled)
        return row.amount(c.payable) + row.amount(c.balance)

    def _line(self, row: Row) -> OrderLineRecord:
        c = self.c
        sku_id = row.optional_identifier(c.sku_id, "SKU id")
        title = row.text(c.title)
        return OrderLineRecord(
            line_key=f"sku:{sku_id}" if sku_id else f"title:{title}",
            title=title,
            quantity=row.quantity(c.quantity),
            unit_price_fen=row.optional_amount(c.unit_price),
            product_code=sku_id,
            sku_code=row.optional(c.sku_code),
        )
