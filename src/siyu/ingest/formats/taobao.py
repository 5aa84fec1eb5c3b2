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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Final

from siyu.ingest.formats import cleaning, status
from siyu.ingest.formats.cleaning import account_key, key_of, make_buyer, region
from siyu.ingest.formats.dates import SHANGHAI, parse_datetime
from siyu.ingest.formats.errors import FormatError, RowError
from siyu.ingest.formats.headers import AliasTable, resolve
from siyu.ingest.formats.table import CellReader, Row, open_table, parse_table
from siyu.ingest.records import (
    Buyer,
    BuyerKeyKind,
    Grain,
    OrderLineRecord,
    OrderRecord,
    ParsedOrderRow,
)
from siyu.ingest.records import OrderStatus as S

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
    builder = _Builder(columns, table.header.labels, tz, datetime.now(tz))
    return parse_table(table, columns.order_id, builder.build)


# The columns a row builder reads at once (`CellReader`), in the order `_Builder.build` unpacks.
ORDER_READ = (
    "order_id", "buyer_id", "alipay", "total", "paid", "shipping", "refund", "refund_state",
    "status", "receiver", "address", "mobile", "telephone", "ordered_at", "paid_at",
    "shipped_at", "completed_at", "shop",
)  # fmt: skip
LINE_READ = ("sub_order_id", "title", "price", "quantity", "sku_code", "product_id", "properties")


class _Builder:
    def __init__(self, columns: Columns, labels: Sequence[str], tz: tzinfo, now: datetime) -> None:
        self.c = columns
        self.tz = tz
        self.now = now
        self.grain = Grain.LINE if columns.sub_order_id >= 0 else Grain.ORDER
        positions = [getattr(columns, name) for name in ORDER_READ]
        self.read = CellReader(positions)
        self.label = {
            name: labels[position] if 0 <= position < len(labels) else "?"
            for name, position in zip(ORDER_READ, positions, strict=True)
        }
        # Status outcomes that cannot depend on the amounts, by (status text, fallback).
        self.outcomes: dict[tuple[str | None, S], status.Outcome] = {}

    def build(self, row: Row) -> OrderRecord:
        c, tz, label = self.c, self.tz, self.label
        (order_id, buyer_id, alipay, total, paid, shipping, refund, refund_state, raw_status,
         receiver, address, mobile, telephone, ordered_at, paid_at, shipped_at, completed_at,
         shop) = self.read(row.cells)  # fmt: skip
        order_id = cleaning.identifier(order_id, label["order_id"], "order id")
        ordered = _moment(ordered_at, label["ordered_at"], tz)
        if ordered is None:
            raise RowError(f"missing date in column {label['ordered_at']}")
        paid_moment = _moment(paid_at, label["paid_at"], tz) if c.paid_at >= 0 else None
        shipped = _moment(shipped_at, label["shipped_at"], tz) if c.shipped_at >= 0 else None
        completed = (
            _moment(completed_at, label["completed_at"], tz) if c.completed_at >= 0 else None
        )
        refund_fen = _optional_fen(refund, label["refund"]) if c.refund >= 0 else None
        paid_fen = _fen(paid, label["paid"]) + (
            refund_fen or 0
        )  # 买家实际支付金额 is net of refunds
        outcome = self._status(
            raw_status if c.status >= 0 else None,
            refund_state if c.refund_state >= 0 else None,
            status.from_dates(paid_moment, shipped, completed),
            ordered,
            paid_fen,
            refund_fen,
        )
        return OrderRecord(
            line_no=row.row_no,
            platform=PLATFORM,
            order_id=order_id,
            status=outcome.status,
            raw_status=raw_status if c.status >= 0 else "",
            ordered_at=ordered,
            grain=self.grain,
            paid_at=paid_moment,
            shipped_at=shipped,
            completed_at=completed,
            total_fen=_optional_fen(total, label["total"]) if c.total >= 0 else None,
            paid_fen=paid_fen,
            refunded_fen=outcome.refunded_fen,
            shipping_fen=_fen(shipping, label["shipping"]),
            shop_name=None if shop in cleaning.NULLS else shop,
            buyer=_buyer(buyer_id, alipay, mobile, telephone, receiver, address, c),
            line=self._line(row, paid_fen, outcome) if self.grain is Grain.LINE else None,
            warnings=outcome.warnings,
        )

    def _status(
        self,
        raw_status: str | None,
        refund_state: str | None,
        fallback: S,
        ordered: datetime,
        paid_fen: int,
        refund_fen: int | None,
    ) -> status.Outcome:
        if raw_status is None:
            fallback = status.without_status_column(fallback, ordered, self.now)
        plain = not refund_fen and refund_state is None  # the outcome cannot depend on amounts
        if plain and (known := self.outcomes.get((raw_status, fallback))) is not None:
            return known
        outcome = status.decide(
            raw_status,
            status.TAOBAO,
            platform=PLATFORM,
            fallback=fallback,
            paid_fen=paid_fen,
            refund_amount=refund_fen,
            after_sale=refund_state,
        )
        if plain and outcome.status is not S.REFUNDED:  # REFUNDED refunds what was paid
            self.outcomes[raw_status, fallback] = outcome
        return outcome

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


def _moment(text: str, label: str, tz: tzinfo) -> datetime | None:
    """`parse_datetime`, with the raw export's `YYYY-MM-DD HH:MM:SS` parsed inline."""
    if len(text) == 19 and text[4] == "-" and text[10] == " ":
        try:
            m = datetime.fromisoformat(text)
        except ValueError:
            return parse_datetime(text, label, tz)
        return datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, 0, tz)
    return parse_datetime(text, label, tz)


def _fen(text: str, label: str) -> int:
    """Fen; zero for a placeholder; never negative (as `Row.amount`)."""
    if text in cleaning.MONEY_ZEROS:
        return 0
    fen = cleaning.money_fen(text, label)
    if fen < 0:
        raise RowError(f"amount {text!r} in column {label} is negative")
    return fen


def _optional_fen(text: str, label: str) -> int | None:
    return None if text in cleaning.NULLS else _fen(text, label)


def _buyer(
    buyer_id: str, alipay: str, mobile: str, telephone: str, receiver: str, address: str,
    c: Columns,
) -> Buyer:  # fmt: skip
    province, city = region(address)
    return make_buyer(
        (
            key_of(BuyerKeyKind.BUYER_ID, None if buyer_id in cleaning.NULLS else buyer_id),
            account_key(alipay),
            cleaning.phone_key(mobile) if c.mobile >= 0 else None,
            cleaning.phone_key(telephone) if c.telephone >= 0 else None,
        ),
        name=None if receiver in cleaning.NULLS else receiver,
        province=province,
        city=city,
    )
