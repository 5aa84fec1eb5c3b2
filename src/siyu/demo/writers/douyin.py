"""Douyin (抖店) store: the order export (65 columns), one sub-order a row, UTF-8 with BOM.

Ids and text cells are written `"\\t…"` (against scientific notation), `-` stands for empty,
receiver name, phone and address are ciphertext, and orders from ¥199 carry a gift sub-order at
0.00. A partial refund is one item's sub-order refunded in full (Douyin shows no refund amount).
"""

from __future__ import annotations

import numpy as np

from siyu.demo.basket import GIFT_SKU
from siyu.demo.catalog import GIFT, SKUS, ShopKey, Sku, platform_product_id
from siyu.demo.clock import HOUR, MISSING
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
    minimal,
    moments,
    open_csv,
    order_lines,
    shop_orders,
    write_header,
    write_rows,
    yuan,
)
from siyu.ingest.records import OrderStatus

HEADER = header(
    "主订单编号, 子订单编号, 选购商品, 商品规格, 商品数量, 商品ID, 商家编码, 商品单价, "
    "订单应付金额, 运费, 优惠总金额, 平台优惠, 商家优惠, 达人优惠, 商家改价, 支付优惠, "
    "红包抵扣, 支付方式, 手续费, 收件人, 收件人手机号, 省, 市, 区, 街道, 详细地址, "
    "是否修改过地址, 买家留言, 订单提交时间, 旗帜颜色, 商家备注, 订单完成时间, 支付完成时间, "
    "APP渠道, 流量来源, 订单状态, 承诺发货时间, 订单类型, 鲁班落地页ID, 达人ID, 达人昵称, "
    "所属门店ID, 售后状态, 取消原因, 预约发货时间, 仓库ID, 仓库名称, 是否安心购, 广告渠道, "
    "流量类型, 流量体裁, 流量渠道, 发货主体, 发货主体明细, 发货时间, 降价类优惠, "
    "平台实际承担优惠金额, 商家实际承担优惠金额, 达人实际承担优惠金额, 预计送达时间, "
    "是否平台仓自流转, 车型, 预约送达时间, 建议发货时间（起）, 建议发货时间（止）"
)
STATUS_TEXT = {
    OrderStatus.PAID: "待发货",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.PARTIALLY_REFUNDED: "已完成",
    OrderStatus.CLOSED: "已关闭",
    OrderStatus.REFUNDED: "已关闭",
}
TABBED = ("主订单编号", "子订单编号", "选购商品", "商品规格", "商品ID", "商家编码")
EMPTY = "-"
ALL_SKUS: tuple[Sku, ...] = (*SKUS, GIFT)
PRODUCT_IDS = tuple("36" + platform_product_id(index, 17, salt=5) for index in range(len(ALL_SKUS)))
SOURCES = ("直播", "直播", "短视频", "商品卡", "搜索")
BRAND_ACCOUNT = ("2798342165110372", "安肌官方旗舰店")


def write_douyin(export: Export) -> list[Written]:
    orders = export.orders
    chosen = shop_orders(orders, ShopKey.DOUYIN)
    ids = distinct_ids(export.rng, chosen.size, 17, prefix="69")
    lines = order_lines(orders, chosen)
    line_of_order = np.repeat(np.arange(chosen.size), orders.line_count[chosen])
    position = lines - orders.line_start[chosen][line_of_order]
    single = (orders.line_count[chosen] == 1)[line_of_order]
    sources = choose(export.rng, SOURCES, chosen.size)
    secret = {mark: fields.ciphertexts(export.rng, chosen.size, mark) for mark in ("##", "$$")}
    stamp = export.calendar.now - 8 * HOUR + 9 * HOUR  # Unix seconds of a 09:00 export
    path = export.out_dir / "douyin" / f"{stamp}000_douyin_orders.csv"
    with open_csv(path, "utf-8-sig") as handle:
        write_header(handle, HEADER)
        for part in chunks(lines.size):
            where = line_of_order[part].tolist()
            values = _order_values(export, chosen[line_of_order[part]])
            values |= _line_values(export, lines[part], chosen[line_of_order[part]])
            values["主订单编号"] = [ids[i] for i in where]
            values["子订单编号"] = [
                ids[i] if one else f"{ids[i]}{k + 1}"
                for i, one, k in zip(
                    where, single[part].tolist(), position[part].tolist(), strict=True
                )
            ]
            values["流量来源"] = [sources[i] for i in where]
            values["达人ID"] = [BRAND_ACCOUNT[0] if sources[i] == "直播" else EMPTY for i in where]
            values["达人昵称"] = [
                BRAND_ACCOUNT[1] if sources[i] == "直播" else EMPTY for i in where
            ]
            values["收件人"] = [secret["##"][i] for i in where]
            values["详细地址"] = [secret["##"][i][::-1] for i in where]
            values["收件人手机号"] = [secret["$$"][i] for i in where]
            for name in TABBED:
                values[name] = [f"\t{cell}" for cell in values[name]]
            columns = arrange(HEADER, values, len(where))
            write_rows(handle, [minimal(column) for column in columns])
    return [Written("douyin", path, ShopKey.DOUYIN, lines.size, orders.buyer[:0])]


def _order_values(export: Export, row_orders: Int) -> dict[str, Column]:
    orders, people = export.orders, export.people
    timeline, count = orders.timeline, row_orders.size
    regions = fields.regions(people, orders.buyer[row_orders])
    paid_at = timeline.paid_at[row_orders]
    return {
        "运费": constant("0.00", count),
        "支付方式": ["抖音支付" if p != MISSING else EMPTY for p in paid_at.tolist()],
        "手续费": constant("0.00", count),
        "省": [region[0] for region in regions],
        "市": [region[1] for region in regions],
        "区": [region[2] for region in regions],
        "街道": constant(EMPTY, count),
        "是否修改过地址": constant("否", count),
        "买家留言": constant(EMPTY, count),
        "订单提交时间": moments(orders.ordered_at[row_orders]),
        "订单完成时间": moments(timeline.completed_at[row_orders], EMPTY),
        "支付完成时间": moments(paid_at, EMPTY),
        "APP渠道": constant("抖音", count),
        "承诺发货时间": moments(np.where(paid_at == MISSING, MISSING, paid_at + 48 * HOUR), EMPTY),
        "订单类型": constant("普通订单", count),
        "发货主体": constant("商家", count),
        "发货时间": moments(timeline.shipped_at[row_orders], EMPTY),
        "是否安心购": constant("是", count),
        "是否平台仓自流转": constant("否", count),
        "降价类优惠": constant("0.00", count),
        "平台实际承担优惠金额": constant("0.00", count),
        "达人实际承担优惠金额": constant("0.00", count),
    } | {
        name: constant(EMPTY, count)
        for name in (
            "鲁班落地页ID",
            "所属门店ID",
            "预约发货时间",
            "仓库ID",
            "仓库名称",
            "广告渠道",
            "流量类型",
            "流量体裁",
            "流量渠道",
            "发货主体明细",
            "预计送达时间",
            "车型",
            "预约送达时间",
            "建议发货时间（起）",
            "建议发货时间（止）",
        )
    }


def _line_values(export: Export, lines: Int, row_orders: Int) -> dict[str, Column]:
    line_data = export.orders.lines
    skus = [ALL_SKUS[s] for s in line_data.sku[lines].tolist()]
    discount = yuan(line_data.discount_fen[lines])
    zero = constant("0.00", lines.size)
    status, after_sale, cancel = _line_states(export, lines, row_orders)
    return {
        "选购商品": [sku.full_title for sku in skus],
        "商品规格": [sku.spec for sku in skus],
        "商品数量": [str(n) for n in line_data.quantity[lines].tolist()],
        "商品ID": [PRODUCT_IDS[s] for s in line_data.sku[lines].tolist()],
        "商家编码": [sku.sku_code for sku in skus],
        "商品单价": yuan(line_data.unit_fen[lines]),
        "订单应付金额": yuan(line_data.paid_fen[lines]),
        "优惠总金额": discount,
        "平台优惠": zero,
        "商家优惠": discount,
        "达人优惠": zero,
        "商家改价": zero,
        "支付优惠": zero,
        "红包抵扣": zero,
        "订单状态": status,
        "售后状态": after_sale,
        "取消原因": cancel,
        "商家实际承担优惠金额": discount,
    }


def _line_states(export: Export, lines: Int, row_orders: Int) -> tuple[Column, Column, Column]:
    """A sub-order's status, after-sale state and cancel reason. A refunded item is closed with
    退款成功; a gift follows its order, closing with 主品订单售后完成 when the order is refunded."""
    line_data, timeline = export.orders.lines, export.orders.timeline
    refunded = (line_data.refund_fen[lines] > 0).tolist()
    gift = (line_data.sku[lines] == GIFT_SKU).tolist()
    status_list, after_sale, cancel = [], [], []
    for code, is_refunded, is_gift in zip(
        timeline.status[row_orders].tolist(), refunded, gift, strict=True
    ):
        status = STATUSES[code]
        if is_refunded:
            status_list.append("已关闭")
            after_sale.append("退款成功")
            cancel.append(EMPTY)
        elif is_gift and status is OrderStatus.REFUNDED:
            status_list.append("已关闭")
            after_sale.append(EMPTY)
            cancel.append("主品订单售后完成")
        else:
            status_list.append(STATUS_TEXT[status])
            after_sale.append(EMPTY)
            cancel.append("超时未支付" if status is OrderStatus.CLOSED else EMPTY)
    return status_list, after_sale, cancel
