"""The brand's WeChat mini-program shop, exported in siyu's own `orders-csv` layout (UTF-8).

One row per order line; `amount` and `refund_amount` belong to the line, the order's totals are
their sums. The shop knows its members by member number and unionid, and by the phone most of
them authorised at checkout.
"""

from __future__ import annotations

import numpy as np

from siyu.demo.catalog import SKUS, ShopKey
from siyu.demo.timeline import STATUSES
from siyu.demo.tokens import distinct_numbers
from siyu.demo.writers.table import (
    Column,
    Export,
    Int,
    Written,
    chunks,
    constant,
    minimal,
    moments,
    open_csv,
    order_lines,
    pick,
    shop_orders,
    write_header,
    write_rows,
    yuan,
)

HEADER = (
    "order_id", "customer_id", "phone", "unionid", "ordered_at", "amount", "status", "paid_at",
    "refund_amount", "sku", "product", "category", "quantity", "unit_price", "shop", "platform",
)  # fmt: skip


def write_orders_csv(export: Export) -> list[Written]:
    orders = export.orders
    chosen = shop_orders(orders, ShopKey.MINI, newest_first=False)
    serials = distinct_numbers(export.rng, chosen.size, 8).tolist()
    days = [text[:10].replace("-", "") for text in moments(orders.ordered_at[chosen])]
    ids = [f"AJ{day}{serial}" for day, serial in zip(days, serials, strict=True)]
    people_with_phone = export.people.authorised_phone
    lines = order_lines(orders, chosen)
    line_of_order = np.repeat(np.arange(chosen.size), orders.line_count[chosen])
    path = export.out_dir / "miniprogram" / "miniprogram_orders.csv"
    with open_csv(path, "utf-8") as handle:
        write_header(handle, HEADER)
        for part in chunks(lines.size):
            where = line_of_order[part]
            columns = _columns(export, chosen[where], lines[part], people_with_phone)
            columns[0] = [ids[i] for i in where.tolist()]
            write_rows(handle, [minimal(column) for column in columns])
    persons = np.unique(orders.buyer[chosen])
    persons = persons[people_with_phone[persons]]
    return [Written("orders-csv", path, ShopKey.MINI, lines.size, persons)]


def _columns(export: Export, row_orders: Int, lines: Int, with_phone: np.ndarray) -> list[Column]:
    orders, people = export.orders, export.people
    line_data, timeline, count = orders.lines, orders.timeline, lines.size
    persons = orders.buyer[row_orders]
    skus = [SKUS[s] for s in line_data.sku[lines].tolist()]
    phones = pick(people.phone, persons)
    return [
        constant("", count),  # order_id, filled by the caller
        pick(people.member_id, persons),
        [p if w else "" for p, w in zip(phones, with_phone[persons].tolist(), strict=True)],
        pick(people.unionid, persons),
        moments(orders.ordered_at[row_orders]),
        yuan(line_data.paid_fen[lines]),
        [STATUSES[code].value for code in timeline.status[row_orders].tolist()],
        moments(timeline.paid_at[row_orders]),
        yuan(line_data.refund_fen[lines]),
        [sku.sku_code for sku in skus],
        [sku.full_title for sku in skus],
        [sku.category for sku in skus],
        [str(n) for n in line_data.quantity[lines].tolist()],
        yuan(line_data.unit_fen[lines]),
        constant("安肌官方商城小程序", count),
        constant("mini_program", count),
    ]
