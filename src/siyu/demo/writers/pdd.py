"""Pinduoduo store: the 2023-10 order export (82 columns), one order (one item) a row.

UTF-8 with BOM. Quantity and money cells end with a TAB (`"168.99\t"`), money may carry
thousands separators, and 用户购买手机号 is only a TAB: PDD gives the merchant no buyer identity.
PDD shows refunds as a status (`已签收，退款成功`) without an amount, so no partial refunds here.
"""

from __future__ import annotations

import numpy as np

from siyu.demo.catalog import SKUS, ShopKey, platform_product_id
from siyu.demo.clock import HOUR, MISSING
from siyu.demo.timeline import STATUSES
from siyu.demo.tokens import HEX, choose, distinct_numbers, random_strings
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
    pick,
    shop_orders,
    write_header,
    write_rows,
    yuan,
)
from siyu.ingest.records import OrderStatus

HEADER = header(
    "商品, 订单号, 订单状态, 商品数量(件), 是否审核中, 支付时间, 承诺发货时间, 承诺送达时间, "
    "发货时间, 确认收货时间, 商品id, 商品规格, 样式ID, 商品一级类目, 商品二级类目, "
    "商品三级类目, 商品四级类目, 商家编码-规格维度, 商家编码-商品维度, 商家备注, 买家留言, "
    "售后状态, 消费者资料, 订单成交时间, 消费者资料上传时间, 赠品名称, 赠品id, 赠品规格, "
    "赠品数量, 团ID, 团身份, 是否已开始配送, 配送员是否已送达, 配送状态, 同城是否普通快递, "
    "商品总价(元), 邮费(元), 店铺优惠折扣(元), 平台优惠折扣(元), 多多支付立减金额(元), "
    "上门安装费(元), 送货入户费(元), 送货入户并安装费(元), 用户实付金额(元), 商家实收金额(元), "
    "快递单号, 快递公司, 省, 市, 区, 街道/镇, 配送员手机号, 是否抽奖或0元试用, 是否顺丰加价, "
    "用户购买手机号, 旅行类信息, 充值号码, 是否门店自提, 门店名称, 门店自定义编码, "
    "关联货品编码, 货品名称, 货品类型, 子货品, 仓库名称, 仓库所在地址, 海淘清关订单号, 支付ID, "
    "支付方式, 保税仓, 是否直播间成交, 是否直播间引导成交, 预约配送时间, 是否节能补贴, "
    "是否分期, 分期期数, 手续费承担方, 是否无痕发货, 订单来源, 是否社区团购, 小区送达情况, "
    "分期方式"
)
STATUS_TEXT = {
    OrderStatus.PAID: "待发货",
    OrderStatus.SHIPPED: "已发货，待收货",
    OrderStatus.COMPLETED: "已收货",
    OrderStatus.CLOSED: "已取消",
    OrderStatus.PARTIALLY_REFUNDED: "已收货",  # not produced: PDD shows no partial refund
}
REFUNDED_BEFORE_SHIPPING = "未发货，退款成功"
REFUNDED_AFTER_SHIPPING = "已签收，退款成功"
THIRD_CATEGORY = {"洁面": "洁面", "精华": "精华液", "面霜": "乳液/面霜", "防晒": "防晒",
                  "面膜": "面膜", "套装": "护肤套装", "小样": "旅行装/小样"}  # fmt: skip
GOODS_IDS = tuple(platform_product_id(index // 2, 12, salt=3) for index in range(len(SKUS)))
STYLE_IDS = tuple(platform_product_id(index, 11, salt=4) for index in range(len(SKUS)))
NO = "否"
FLAGS = header(
    "是否审核中, 是否抽奖或0元试用, 是否顺丰加价, 是否门店自提, 是否直播间成交, "
    "是否直播间引导成交, 是否节能补贴, 是否分期, 是否无痕发货, 是否社区团购"
)
MONEY = header(
    "商品总价(元), 邮费(元), 店铺优惠折扣(元), 平台优惠折扣(元), 多多支付立减金额(元), "
    "上门安装费(元), 送货入户费(元), 送货入户并安装费(元), 用户实付金额(元)"
)


def write_pdd(export: Export) -> list[Written]:
    orders = export.orders
    chosen = shop_orders(orders, ShopKey.PDD)
    serials = distinct_numbers(export.rng, chosen.size, 15).tolist()
    days = [text[2:10].replace("-", "") for text in moments(orders.ordered_at[chosen])]
    ids = [f"{day}-{serial}" for day, serial in zip(days, serials, strict=True)]
    payments = ["4200" + token for token in random_strings(export.rng, chosen.size, 24, HEX)]
    methods = choose(export.rng, ("微信支付", "微信支付", "支付宝", "多多支付"), chosen.size)
    stamp = f"{export.calendar.end:%Y-%m-%d}-09-30-00"
    path = export.out_dir / "pdd" / f"orders_export{stamp}.csv"
    with open_csv(path, "utf-8-sig") as handle:
        write_header(handle, HEADER)
        for part in chunks(chosen.size):
            values = _values(export, chosen[part])
            values["订单号"] = ids[part]
            paid = (orders.timeline.paid_at[chosen[part]] != MISSING).tolist()
            values["支付ID"] = [
                p if is_paid else "" for p, is_paid in zip(payments[part], paid, strict=True)
            ]
            values["支付方式"] = [
                m if is_paid else "" for m, is_paid in zip(methods[part], paid, strict=True)
            ]
            write_rows(handle, [minimal(c) for c in arrange(HEADER, values, chosen[part].size)])
    return [Written("pdd", path, ShopKey.PDD, chosen.size, orders.buyer[:0])]


def _values(export: Export, chosen: Int) -> dict[str, Column]:
    orders, people = export.orders, export.people
    timeline, count = orders.timeline, chosen.size
    line = orders.line_start[chosen]  # a PDD order has exactly one line
    skus = orders.lines.sku[line]
    regions = fields.regions(people, orders.buyer[chosen])
    carriers, parcels = fields.parcels(
        export.rng, timeline.shipped_at[chosen] != MISSING, fields.CARRIERS
    )
    values = {
        "商品": [SKUS[s].full_title for s in skus.tolist()],
        "订单状态": _status_text(export, chosen),
        "商品数量(件)": [f"{n}\t" for n in orders.lines.quantity[line].tolist()],
        "支付时间": moments(timeline.paid_at[chosen]),
        "承诺发货时间": moments(_later(timeline.paid_at[chosen], 48 * HOUR)),
        "发货时间": moments(timeline.shipped_at[chosen]),
        "确认收货时间": moments(timeline.completed_at[chosen]),
        "商品id": pick(GOODS_IDS, skus),
        "商品规格": [SKUS[s].spec for s in skus.tolist()],
        "样式ID": pick(STYLE_IDS, skus),
        "商品一级类目": constant("美妆", count),
        "商品二级类目": constant("面部护肤", count),
        "商品三级类目": [THIRD_CATEGORY[SKUS[s].category] for s in skus.tolist()],
        "商家编码-规格维度": [SKUS[s].sku_code for s in skus.tolist()],
        "商家编码-商品维度": [SKUS[s].product_code for s in skus.tolist()],
        "售后状态": [
            "退款成功" if r > 0 else "无售后或售后取消" for r in orders.refund_fen[chosen].tolist()
        ],
        "订单成交时间": moments(orders.ordered_at[chosen]),
        "商品总价(元)": yuan(orders.goods_list_fen[chosen]),
        "邮费(元)": constant("0.00", count),
        "店铺优惠折扣(元)": yuan(orders.goods_list_fen[chosen] - orders.goods_paid_fen[chosen]),
        "用户实付金额(元)": yuan(orders.goods_paid_fen[chosen]),
        "快递单号": parcels,
        "快递公司": carriers,
        "省": [region[0] for region in regions],
        "市": [region[1] for region in regions],
        "区": [region[2] for region in regions],
        "用户购买手机号": constant("\t", count),
    }
    for name in MONEY:
        values.setdefault(name, constant("0.00", count))
        values[name] = [f"{cell}\t" for cell in values[name]]
    values["商家实收金额(元)"] = [
        f"{c}\t" for c in yuan(orders.goods_paid_fen[chosen], thousands=True)
    ]
    values |= {name: constant(NO, count) for name in FLAGS}
    return values


def _status_text(export: Export, chosen: Int) -> Column:
    timeline = export.orders.timeline
    texts = []
    for code, shipped in zip(
        timeline.status[chosen].tolist(),
        (timeline.shipped_at[chosen] != MISSING).tolist(),
        strict=True,
    ):
        status = STATUSES[code]
        if status is OrderStatus.REFUNDED:
            texts.append(REFUNDED_AFTER_SHIPPING if shipped else REFUNDED_BEFORE_SHIPPING)
        else:
            texts.append(STATUS_TEXT[status])
    return texts


def _later(moments_: Int, seconds: int) -> Int:
    return np.where(moments_ == MISSING, MISSING, moments_ + seconds)
