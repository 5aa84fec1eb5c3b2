"""siyu's own order format, `orders-csv`: for shops on other systems, ERPs and hand-made sheets.

File: CSV with a header row, UTF-8 (with or without BOM; GB18030 is also accepted), or the same
table as `.xlsx`, or either inside a `.zip`. Columns are found by name (case and spaces do not
matter) and may come in any order; unknown columns are ignored.

Grain: **one row per order line** (`Grain.LINE`). An order with three products is three rows
sharing `order_id`; the order's amounts are the sums of its lines. A line is identified by
`(order_id, sku)`, else `(order_id, product)`, else by its position among the order's rows that
have neither (`row:1`, `row:2`, …). Importing the same line again replaces it, so re-importing
an overlapping export never double counts. A one-line order is simply one row.

Required columns (the file is refused with the column's name when one is missing):
- `order_id`: the order number; letters, digits, `-` and `_` (up to 64).
- `customer_id` or `phone` (at least one of the two columns; each row needs at least one
  customer key among all key columns): `customer_id` is your system's customer id
  (a `customer_ref` identity key).
- `ordered_at`: ISO 8601 date or datetime (`2026-06-12`, `2026-06-12 14:03:00`,
  `2026-06-12T14:03:00+08:00`); without an offset it is time in the import time zone
  (Asia/Shanghai by default). The other forms of `siyu.ingest.formats.dates` are accepted too.
- `amount`: what the buyer paid for this line, in yuan (`129.90`; `¥`, `元` and thousands
  separators are tolerated), before refunds.

Optional columns:
- `status`: `pending_payment`, `paid`, `shipped`, `completed`, `closed`, `partially_refunded`,
  `refunded`; also `pending`, `unpaid`, `cancelled`/`canceled`, `delivered`, `complete`,
  `done`, `dispatched`, `partial_refund` (any case; spaces or hyphens for `_`). Empty means
  `paid`. An unknown word is recorded as `paid` with a warning.
- `paid_at`: when it was paid (same forms as `ordered_at`).
- `refund_amount`: yuan refunded on this line. It decides `refunded` (all of `amount`) versus
  `partially_refunded`. `status` = `refunded` with no refund amount refunds the whole line.
- `sku`, `product`, `category`: the line's SKU code, product name and category.
- `quantity` (whole number, default 1) and `unit_price` (yuan).
- `shop`: the shop's name; `platform`: where the order was placed (default `orders-csv`);
  it scopes `buyer_id`.
- Customer keys besides `customer_id`: `phone` (a real phone, or masked like `138****1234`,
  which is kept only as a weak hint), `email`, `unionid`, `openid` (WeChat), `buyer_id`
  (a platform buyer id), and `name` (not a key).
- `coupon_code`: the coupon used, for attribution.

Example:
```
order_id,customer_id,phone,ordered_at,amount,status,refund_amount,sku,product,quantity
A1001,C9,13800138000,2026-06-01 10:00:00,59.80,completed,,SKU-1,Green tea 250g,2
A1001,C9,13800138000,2026-06-01 10:00:00,19.90,completed,19.90,SKU-7,Tea cup,1
```
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Final

from siyu.ingest.formats import status
from siyu.ingest.formats.cleaning import email_key, key_of, make_buyer
from siyu.ingest.formats.dates import SHANGHAI
from siyu.ingest.formats.errors import RowError
from siyu.ingest.formats.headers import AliasTable, resolve
from siyu.ingest.formats.table import Row, open_table, parse_table
from siyu.ingest.records import (
    Buyer,
    BuyerKeyKind,
    Grain,
    OrderLineRecord,
    OrderRecord,
    OrderStatus,
    ParsedOrderRow,
)

DEFAULT_PLATFORM: Final = "orders-csv"
FIELDS = (
    "order_id",
    "customer_id",
    "phone",
    "ordered_at",
    "amount",
    "status",
    "paid_at",
    "refund_amount",
    "sku",
    "product",
    "category",
    "quantity",
    "unit_price",
    "shop",
    "platform",
    "email",
    "name",
    "unionid",
    "openid",
    "buyer_id",
    "coupon_code",
)
ALIASES = AliasTable.of({field: (field,) for field in FIELDS})
REQUIRED = (("order_id",), ("customer_id", "phone"), ("ordered_at",), ("amount",))


@dataclass(frozen=True, slots=True)
class Columns:
    order_id: int
    customer_id: int
    phone: int
    ordered_at: int
    amount: int
    status: int
    paid_at: int
    refund_amount: int
    sku: int
    product: int
    category: int
    quantity: int
    unit_price: int
    shop: int
    platform: int
    email: int
    name: int
    unionid: int
    openid: int
    buyer_id: int
    coupon_code: int


def parse_orders_csv(path: Path, *, tz: tzinfo = SHANGHAI) -> Iterator[ParsedOrderRow]:
    table = open_table(path, ALIASES)
    columns = resolve(table.header, ALIASES, Columns, REQUIRED, name=table.name)
    return parse_table(table, columns.order_id, _Builder(columns, tz).build)


class _Builder:
    def __init__(self, columns: Columns, tz: tzinfo) -> None:
        self.c = columns
        self.tz = tz
        self.unnamed_lines: Counter[str] = Counter()  # only orders with sku- and product-less rows

    def build(self, row: Row) -> OrderRecord:
        c = self.c
        order_id = row.identifier(c.order_id, "order id")
        platform = row.optional(c.platform) or DEFAULT_PLATFORM
        buyer = self._buyer(row, platform)
        amount = row.amount(c.amount)
        raw_status = row.text(c.status)
        outcome = status.decide(
            raw_status or OrderStatus.PAID.value,
            status.GENERIC,
            platform="orders-csv",
            fallback=OrderStatus.PAID,
            paid_fen=amount,
            refund_amount=row.optional_amount(c.refund_amount),
        )
        return OrderRecord(
            line_no=row.row_no,
            platform=platform,
            order_id=order_id,
            status=outcome.status,
            raw_status=raw_status,
            ordered_at=row.moment(c.ordered_at, self.tz),
            grain=Grain.LINE,
            paid_at=row.optional_moment(c.paid_at, self.tz),
            paid_fen=amount,
            refunded_fen=outcome.refunded_fen,
            shop_name=row.optional(c.shop),
            buyer=buyer,
            line=self._line(row, order_id, amount, outcome),
            coupon_code=row.optional(c.coupon_code),
            warnings=outcome.warnings,
        )

    def _buyer(self, row: Row, platform: str) -> Buyer:
        c = self.c
        keys = (
            key_of(BuyerKeyKind.UNIONID, row.optional(c.unionid)),
            key_of(BuyerKeyKind.OPENID, row.optional(c.openid)),
            row.phone(c.phone),
            key_of(BuyerKeyKind.BUYER_ID, row.optional(c.buyer_id)),
            key_of(BuyerKeyKind.CUSTOMER_REF, row.optional(c.customer_id)),
            email_key(row.text(c.email)),
        )
        buyer = make_buyer(keys, name=row.optional(c.name))
        if not buyer.keys:
            raise RowError("no customer key: customer_id, phone, email, unionid, openid all empty")
        return buyer

    def _line(
        self, row: Row, order_id: str, amount: int, outcome: status.Outcome
    ) -> OrderLineRecord:
        c = self.c
        sku, product = row.optional(c.sku), row.optional(c.product)
        quantity, unit_price = row.quantity(c.quantity), row.optional_amount(c.unit_price)
        return OrderLineRecord(
            line_key=self._line_key(order_id, sku, product),  # last: it counts rows
            title=product or sku or "",
            quantity=quantity,
            unit_price_fen=unit_price,
            paid_fen=amount,
            refunded_fen=outcome.refunded_fen,
            sku_code=sku,
            category=row.optional(c.category),
            status=outcome.status,
        )

    def _line_key(self, order_id: str, sku: str | None, product: str | None) -> str:
        if sku:
            return f"sku:{sku}"
        if product:
            return f"product:{product}"
        self.unnamed_lines[order_id] += 1
        return f"row:{self.unnamed_lines[order_id]}"
