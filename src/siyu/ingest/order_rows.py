"""Order records as rows of the store, and the rules for changing a stored order.

`prepare_orders` is pure (no database): it turns parsed `OrderRecord`s into `PreparedOrder`
tuples whose values are already in the stored form of one backend (timestamps as the UTC text
`siyu.ingest.bulk.db_time_function` makes), with normalised identity keys. It can run in the
parsing worker process; the loader then compares and writes tuples without per-row objects.

Rules (see `siyu.ingest.load_orders`): a status never moves backwards; an order file's amounts
outrank its detail file's; a value absent from one export never erases what another said.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from siyu.customers.keys import KeyParts, key_parts
from siyu.ingest.bulk import db_time_function
from siyu.ingest.records import Grain, OrderRecord, OrderStatus

STATUS_RANK: Final = {
    OrderStatus.PENDING_PAYMENT.value: 0,
    OrderStatus.PAID.value: 1,
    OrderStatus.SHIPPED.value: 2,
    OrderStatus.COMPLETED.value: 3,
    OrderStatus.PARTIALLY_REFUNDED.value: 4,
    OrderStatus.CLOSED.value: 5,
    OrderStatus.REFUNDED.value: 5,
}
REFUNDS: Final = frozenset({OrderStatus.PARTIALLY_REFUNDED.value, OrderStatus.REFUNDED.value})
# The order columns a row sets, in this order in `PreparedOrder.values`.
ORDER_COLUMNS: Final = (
    "status", "raw_status", "ordered_at", "paid_at", "shipped_at", "completed_at",
    "total_fen", "paid_fen", "refunded_fen", "shipping_fen", "coupon_code", "amount_grain",
)  # fmt: skip
STATUS: Final = 0
RAW_STATUS: Final = 1
GRAIN: Final = 11
AMOUNTS: Final = range(6, 10)  # total, paid, refunded, shipping: set by order-grain rows only
KEEP_WHEN_MISSING: Final = (3, 4, 5, 10)  # paid_at, shipped_at, completed_at, coupon_code
AMOUNT_DEFAULTS: Final = (None, 0, 0, 0)  # what a new order without amounts gets
ABSENT: Final = ...  # a column the row does not set (Ellipsis: never a stored value)
# The line columns a row sets, in this order (the last three are filled in by the loader).
LINE_COLUMNS: Final = (
    "title", "sku_properties", "quantity", "unit_price_fen", "paid_fen", "refunded_fen",
    "status", "product_id", "sku_id", "category_id",
)  # fmt: skip
LINE_STATUS: Final = 6


PreparedLine = tuple[str, str, "str | None", "str | None", tuple[Any, ...]]
"""(line_key, product_code, sku_code, category, values): `product_code` is the merchant's code
or a key built from the title; `values` are LINE_COLUMNS without the three catalogue ids."""
LINE_KEY: Final = 0
PRODUCT_CODE: Final = 1
SKU_CODE: Final = 2
CATEGORY: Final = 3
LINE_VALUES: Final = 4

PreparedOrder = tuple[
    int, str, "str | None", str, tuple[KeyParts, ...], "str | None", "str | None",
    "str | None", tuple[Any, ...], "PreparedLine | None",
]  # fmt: skip
"""One order row ready for the loader, as a plain tuple (a batch of them is pickled from the
parsing worker; plain tuples cost a fraction of named ones to send and receive):
(line_no, order_id, shop_name, platform, keys, name, province, city, values, line).
`keys` are normalised and de-duplicated; `values` are ORDER_COLUMNS in stored form, ABSENT
where the row sets nothing."""
LINE_NO: Final = 0
ORDER_ID: Final = 1
SHOP_NAME: Final = 2
PLATFORM: Final = 3
KEYS: Final = 4
NAME: Final = 5
PROVINCE: Final = 6
CITY: Final = 7
VALUES: Final = 8
LINE: Final = 9


def prepare_orders(records: Iterable[OrderRecord], *, postgres: bool) -> list[PreparedOrder]:
    to_db = db_time_function(postgres)
    shared: dict[str | None, str | None] = {}  # one object per repeated text: cheaper to send
    return [_prepare(record, to_db, shared.setdefault) for record in records]


def _prepare(record: OrderRecord, to_db: Any, share: Any) -> PreparedOrder:
    buyer = record.buyer
    keys = tuple(key for key in (key_parts(k, scope=record.platform) for k in buyer.keys) if key)
    if len(set(keys)) != len(keys):
        keys = tuple(dict.fromkeys(keys))
    by_order = record.grain is Grain.ORDER
    values = (
        record.status.value,
        share(record.raw_status[:100], record.raw_status[:100]),
        to_db(record.ordered_at),
        to_db(record.paid_at),
        to_db(record.shipped_at),
        to_db(record.completed_at),
        record.total_fen if by_order else ABSENT,
        record.paid_fen if by_order else ABSENT,
        record.refunded_fen if by_order else ABSENT,
        record.shipping_fen if by_order else ABSENT,
        record.coupon_code,
        record.grain.value,
    )
    line = None if record.line is None else _prepare_line(record)
    return (
        record.line_no, record.order_id, share(record.shop_name, record.shop_name),
        record.platform, keys, buyer.name, share(buyer.province, buyer.province),
        share(buyer.city, buyer.city), values, line,
    )  # fmt: skip


def _prepare_line(record: OrderRecord) -> PreparedLine:
    line = record.line
    assert line is not None
    values = (
        line.title[:500],
        line.sku_properties,
        line.quantity,
        line.unit_price_fen,
        line.paid_fen,
        line.refunded_fen,
        (line.status or record.status).value,
    )
    product_code = (line.product_code or f"title:{line.title}")[:128]
    return (line.line_key, product_code, line.sku_code, line.category, values)


def newer(previous: tuple[Any, ...], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Two rows of one order in one batch: the further-along status wins; nothing is lost."""
    if STATUS_RANK[row[STATUS]] >= STATUS_RANK[previous[STATUS]]:
        base, other = row, previous
    else:
        base, other = previous, row
    merged = [
        mine if (mine is not None and mine is not ABSENT) or theirs is None or theirs is ABSENT
        else theirs
        for mine, theirs in zip(base, other, strict=True)
    ]  # fmt: skip
    if "order" in (previous[GRAIN], row[GRAIN]):
        merged[GRAIN] = "order"
    return tuple(merged)


def order_insert_values(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The values of a new order: columns the rows did not set get their defaults."""
    if ABSENT not in values[AMOUNTS.start : AMOUNTS.stop]:
        return values
    amounts = tuple(
        default if values[index] is ABSENT else values[index]
        for index, default in zip(AMOUNTS, AMOUNT_DEFAULTS, strict=True)
    )
    return (*values[: AMOUNTS.start], *amounts, *values[AMOUNTS.stop :])


def order_change(
    stored: tuple[Any, ...],
    customer: int | None,
    incoming: tuple[Any, ...],
    stored_customer: int | None,
) -> dict[int, Any]:
    """The columns (by index; -1 for customer_id) to change on a stored order."""
    if incoming == stored and customer == stored_customer:
        return {}
    skip: set[int] = set()
    new_status, old_status = incoming[STATUS], stored[STATUS]
    refunds_from_lines = stored[GRAIN] == "line" and new_status in REFUNDS and old_status in REFUNDS
    if refunds_from_lines or STATUS_RANK[new_status] < STATUS_RANK[old_status]:
        skip.update((STATUS, RAW_STATUS))  # never backwards; line-grain refunds come from lines
    if stored[GRAIN] == "order" and incoming[GRAIN] == "line":
        skip.add(GRAIN)  # an order file's amounts outrank its detail file's
    skip.update(index for index in KEEP_WHEN_MISSING if incoming[index] is None)
    change = {
        index: value
        for index, value in enumerate(incoming)
        if index not in skip and value is not ABSENT and value != stored[index]
    }
    if customer is not None and customer != stored_customer:
        change[-1] = customer  # absence in one export never erases what another said
    return change


def line_change(stored: tuple[Any, ...], incoming: tuple[Any, ...]) -> dict[int, Any]:
    if incoming == stored:
        return {}
    backwards = STATUS_RANK[incoming[LINE_STATUS]] < STATUS_RANK[stored[LINE_STATUS]]
    return {
        index: value
        for index, value in enumerate(incoming)
        if value != stored[index] and not (backwards and index == LINE_STATUS)
    }
