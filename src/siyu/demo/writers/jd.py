"""JD POP store: the 2015 order export (30 columns), one row per SKU, GBK CSV.

Order-level amounts (订单金额, 结算金额, 应付金额, 运费金额) repeat on every SKU row. Recent
orders show a masked phone and name (JD's privacy rules); older ones the full phone. The layout
has no refund amount: a refunded order is 已取消 after payment, and JD orders here never carry a
partial refund.
"""

from __future__ import annotations

import numpy as np

from siyu.demo.catalog import SKUS, ShopKey, platform_product_id
from siyu.demo.clock import DAY
from siyu.demo.timeline import STATUSES
from siyu.demo.tokens import choose, distinct_ids
from siyu.demo.writers import fields
from siyu.demo.writers.table import (
    Column,
    Export,
    Int,
    Written,
    arrange,
    chunks,
    constant,
    header,
    moments,
    open_csv,
    order_lines,
    pick,
    shop_orders,
    write_header,
    write_rows,
    yuan,
)
from siyu.ingest.records import OrderStatus

HEADER = header(
    "订单号, 商品ID, 商品名称, 订购数量, 支付方式, 下单时间, 京东价, 订单金额, 结算金额, "
    "余额支付, 应付金额, 订单状态, 订单类型, 下单帐号, 客户姓名, 客户地址, 联系电话, 订单备注, "
    "发票类型, 发票抬头, 发票内容, 商家备注, 商家备注等级（等级1-5为由高到低）, 运费金额, "
    "付款确认时间, 增值税发票, 货号, 订单完成时间, 订单来源, 订单渠道"
)
STATUS_TEXT = {
    OrderStatus.PENDING_PAYMENT: "等待付款",
    OrderStatus.PAID: "等待出库",
    OrderStatus.SHIPPED: "等待确认收货",
    OrderStatus.COMPLETED: "完成",
    OrderStatus.CLOSED: "已取消",
    OrderStatus.PARTIALLY_REFUNDED: "完成",
    OrderStatus.REFUNDED: "已取消",
}
PRODUCT_IDS = tuple(platform_product_id(index, 12, salt=1) for index in range(len(SKUS)))
MASKING_DAYS = 400
INVOICE_SHARE = 0.3


def write_jd(export: Export) -> list[Written]:
    orders = export.orders
    chosen = shop_orders(orders, ShopKey.JD)
    ids = distinct_ids(export.rng, chosen.size, 12)
    since = export.calendar.now - MASKING_DAYS * DAY
    masked = fields.phone_masked(export.rng, orders.ordered_at[chosen], since, 0.2)
    invoiced = export.rng.random(chosen.size) < INVOICE_SHARE
    notes = choose(export.rng, ("", "", "", "", "发顺丰可以吗", "包装好一点"), chosen.size)
    lines = order_lines(orders, chosen)
    line_of_order = np.repeat(np.arange(chosen.size), orders.line_count[chosen])
    path = export.out_dir / "jd" / f"jd_orders_{export.calendar.end:%Y%m%d}.csv"
    with open_csv(path, "gbk") as handle:
        write_header(handle, HEADER)
        for part in chunks(lines.size):
            where = line_of_order[part]
            row_orders = chosen[where]
            values = _order_values(export, row_orders, masked[where], invoiced[where])
            values |= _line_values(export, lines[part])
            values["订单号"] = [ids[i] for i in where.tolist()]
            values["订单备注"] = [notes[i] for i in where.tolist()]
            write_rows(handle, _quote(arrange(HEADER, values, row_orders.size)))
    persons = np.unique(orders.buyer[chosen[~masked]])
    return [Written("jd", path, ShopKey.JD, lines.size, persons)]


def _order_values(
    export: Export, row_orders: Int, masked: np.ndarray, invoiced: np.ndarray
) -> dict[str, Column]:
    orders, people = export.orders, export.people
    timeline, persons, count = orders.timeline, orders.buyer[row_orders], row_orders.size
    shipping = orders.shipping_fen[row_orders]
    settled = orders.goods_paid_fen[row_orders] + shipping
    names = pick(people.name, persons)
    phones = pick(people.phone, persons)
    hidden = masked.tolist()
    status = [STATUSES[code] for code in timeline.status[row_orders].tolist()]
    return {
        "支付方式": constant("在线支付", count),
        "下单时间": moments(orders.ordered_at[row_orders]),
        "订单金额": yuan(orders.goods_list_fen[row_orders] + shipping),
        "结算金额": yuan(settled),
        "余额支付": constant("0.00", count),
        "应付金额": yuan(settled),
        "订单状态": [STATUS_TEXT[s] for s in status],
        "订单类型": constant("销售订单", count),
        "下单帐号": pick(people.jd_account, persons),
        "客户姓名": [fields.masked_name(n) if h else n for n, h in zip(names, hidden, strict=True)],
        "客户地址": fields.compact_addresses(people, persons),
        "联系电话": [
            fields.masked_phone(p) if h else p for p, h in zip(phones, hidden, strict=True)
        ],
        "发票类型": ["电子发票" if i else "" for i in invoiced.tolist()],
        "发票抬头": ["个人" if i else "" for i in invoiced.tolist()],
        "发票内容": ["明细" if i else "" for i in invoiced.tolist()],
        "运费金额": yuan(shipping),
        "付款确认时间": moments(timeline.paid_at[row_orders]),
        "订单完成时间": moments(timeline.completed_at[row_orders]),
        "订单来源": constant("移动端订单", count),
        "订单渠道": constant("暂无来源", count),
    }


def _line_values(export: Export, lines: Int) -> dict[str, Column]:
    line_data = export.orders.lines
    skus = line_data.sku[lines]
    return {
        "商品ID": pick(PRODUCT_IDS, skus),
        "商品名称": [SKUS[s].full_title for s in skus.tolist()],
        "订购数量": [str(n) for n in line_data.quantity[lines].tolist()],
        "京东价": yuan(line_data.unit_fen[lines]),
        "货号": [SKUS[s].sku_code for s in skus.tolist()],
    }


def _quote(columns: list[Column]) -> list[Column]:
    """JD quotes its text columns and leaves numbers bare."""
    return [
        column if name in _BARE else ['"' + cell.replace('"', '""') + '"' for cell in column]
        for name, column in zip(HEADER, columns, strict=True)
    ]


_BARE = frozenset({"订单号", "商品ID", "订购数量", "京东价", "订单金额", "结算金额", "余额支付",
                   "应付金额", "运费金额"})  # fmt: skip
