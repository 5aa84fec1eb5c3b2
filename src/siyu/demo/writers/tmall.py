"""Tmall flagship store: ExportOrderList (2019–20 layout C, 61 columns) and ExportOrderDetailList.

GBK CSV with CRLF, every cell quoted, ids as `="…"`, phones as `'138…` or masked `138****1234`.
Amounts follow the real export in shared/realdata: 买家实际支付金额 is what the buyer paid net of
refunds (0 for a fully refunded or unpaid order) and 退款金额 holds the refunded part. The detail
file uses the ~2019 Tmall columns FORMATS.md lists (the 18 named ones, up to 订单付款时间).
"""

from __future__ import annotations

import numpy as np

from siyu.demo.catalog import SKUS, ShopKey
from siyu.demo.clock import DAY, MISSING
from siyu.demo.names import BUYER_NOTES
from siyu.demo.timeline import STATUSES
from siyu.demo.tokens import DIGITS, choose, distinct_ids, random_strings
from siyu.demo.writers import fields
from siyu.demo.writers.table import (
    Column,
    Export,
    Int,
    Written,
    arrange,
    chunks,
    constant,
    excel_text,
    export_stamp,
    header,
    moments,
    open_csv,
    order_lines,
    pick,
    quoted,
    shop_orders,
    write_header,
    write_rows,
    yuan,
)
from siyu.ingest.records import OrderStatus

ORDER_HEADER = header(
    "订单编号, 买家会员名, 买家支付宝账号, 支付单号, 支付详情, 买家应付货款, 买家应付邮费, "
    "买家支付积分, 总金额, 返点积分, 买家实际支付金额, 买家实际支付积分, 订单状态, 买家留言, "
    "收货人姓名, 收货地址␠, 运送方式, 联系电话␠, 联系手机, 订单创建时间, 订单付款时间␠, "
    "宝贝标题␠, 宝贝种类␠, 物流单号␠, 物流公司, 订单备注, 宝贝总数量, 店铺Id, 店铺名称, "
    "订单关闭原因, 卖家服务费, 买家服务费, 发票抬头, 是否手机订单, 分阶段订单信息, "
    "特权订金订单id, 是否上传合同照片, 是否上传小票, 是否代付, 定金排名, 修改后的sku, "
    "修改后的收货地址, 异常信息, 天猫卡券抵扣, 集分宝抵扣, 是否是O2O交易, 新零售交易类型, "
    "新零售导购门店名称, 新零售导购门店id, 新零售发货门店名称, 新零售发货门店id, 退款金额, "
    "预约门店, 确认收货时间, 打款商家金额, 含应开票给个人的个人红包, 是否信用购, "
    "体验期结束时间, 前N有礼, 配送类型, 主订单编号"
)
DETAIL_HEADER = header(
    "子订单编号, 主订单编号, 标题, 价格, 购买数量, 外部系统编号, 商品属性, 套餐信息, 备注, "
    "订单状态, 商家编码, 支付单号, 买家应付货款, 买家实际支付金额, 退款状态, 退款金额, "
    "订单创建时间, 订单付款时间"
)
ID_COLUMNS = frozenset({"订单编号", "主订单编号", "子订单编号", "支付单号", "特权订金订单id"})
STATUS_TEXT = {
    OrderStatus.PENDING_PAYMENT: "等待买家付款",
    OrderStatus.PAID: "买家已付款，等待卖家发货",
    OrderStatus.SHIPPED: "卖家已发货，等待买家确认",
    OrderStatus.COMPLETED: "交易成功",
    OrderStatus.CLOSED: "交易关闭",
    OrderStatus.PARTIALLY_REFUNDED: "交易成功",
    OrderStatus.REFUNDED: "交易关闭",
}
SHOP_ID = "571638820"
MASKING_DAYS = 540


def write_tmall(export: Export) -> list[Written]:
    orders, calendar = export.orders, export.calendar
    chosen = shop_orders(orders, ShopKey.TMALL)
    lines = order_lines(orders, chosen)
    ids = distinct_ids(export.rng, chosen.size + lines.size, 18)
    masked = fields.phone_masked(
        export.rng, orders.ordered_at[chosen], calendar.now - MASKING_DAYS * DAY, 0.15
    )
    extras = _OrderExtras.draw(export, chosen)
    exported = str(np.datetime_as_string(np.datetime64(export_stamp(calendar), "s"), unit="m"))
    stamp = exported.replace("-", "").replace("T", "").replace(":", "")
    folder = export.out_dir / "tmall"
    order_path = folder / f"ExportOrderList{stamp}.csv"
    detail_path = folder / f"ExportOrderDetailList{stamp}.csv"
    line_of_order = np.repeat(np.arange(chosen.size), orders.line_count[chosen])
    line_ids = _line_ids(ids[: chosen.size], ids[chosen.size :], orders.line_count[chosen])
    with open_csv(order_path, "gbk") as order_file, open_csv(detail_path, "gbk") as detail_file:
        write_header(order_file, ORDER_HEADER)
        write_header(detail_file, DETAIL_HEADER)
        for part in chunks(chosen.size):
            columns = _order_columns(export, chosen[part], ids[part], masked[part], extras, part)
            write_rows(order_file, _quote(ORDER_HEADER, columns))
        for part in chunks(lines.size):
            where = line_of_order[part]
            columns = _detail_columns(
                export,
                chosen[where],
                lines[part],
                line_ids[part],
                [ids[i] for i in where],
                extras,
                where,
            )
            write_rows(detail_file, _quote(DETAIL_HEADER, columns))
    persons = orders.buyer[chosen[~masked]]
    return [
        Written("taobao", order_path, ShopKey.TMALL, chosen.size, persons),
        Written("taobao", detail_path, ShopKey.TMALL, lines.size, persons[:0]),
    ]


class _OrderExtras:
    """Per-order values the simulation does not model: payment numbers, notes, parcels."""

    def __init__(
        self, alipay: Column, notes: Column, mobile: Column, carrier: Column, parcel: Column
    ):
        self.alipay, self.notes, self.mobile = alipay, notes, mobile
        self.carrier, self.parcel = carrier, parcel

    @classmethod
    def draw(cls, export: Export, chosen: Int) -> _OrderExtras:
        rng, timeline = export.rng, export.orders.timeline
        paid = timeline.paid_at[chosen]
        days = [text[:10].replace("-", "") for text in moments(paid)]
        tails = random_strings(rng, chosen.size, 15, DIGITS)
        alipay = [f"{day}22001{tail}" if day else "" for day, tail in zip(days, tails, strict=True)]
        mobile = np.where(rng.random(chosen.size) < 0.92, "手机订单", "").tolist()
        shipped = timeline.shipped_at[chosen] != MISSING
        carrier, parcel = fields.parcels(rng, shipped, fields.CARRIERS)
        return cls(alipay, choose(rng, BUYER_NOTES, chosen.size), mobile, carrier, parcel)


def _order_columns(
    export: Export, chosen: Int, ids: Column, masked: np.ndarray, extras: _OrderExtras, part: slice
) -> list[Column]:
    orders, people = export.orders, export.people
    timeline, persons, count = orders.timeline, orders.buyer[chosen], chosen.size
    goods, shipping, refund = (
        orders.goods_paid_fen[chosen],
        orders.shipping_fen[chosen],
        orders.refund_fen[chosen],
    )
    status = [STATUSES[code] for code in timeline.status[chosen].tolist()]
    paid = timeline.paid_at[chosen] != MISSING
    net = np.where(paid, goods + shipping - refund, 0)
    settled = np.isin(timeline.status[chosen], _SETTLED)
    phones = pick(people.phone, persons)
    values = {
        "订单编号": excel_text(ids),
        "买家会员名": pick(people.taobao_nick, persons),
        "支付单号": excel_text(extras.alipay[part]),
        "买家应付货款": yuan(goods),
        "买家应付邮费": yuan(shipping),
        "买家支付积分": constant("0", count),
        "总金额": yuan(goods + shipping),
        "返点积分": constant("0", count),
        "买家实际支付金额": yuan(net),
        "买家实际支付积分": constant("0", count),
        "订单状态": [STATUS_TEXT[s] for s in status],
        "买家留言": extras.notes[part],
        "收货人姓名": pick(people.name, persons),
        "收货地址 ": fields.taobao_addresses(people, persons),
        "运送方式": constant("快递", count),
        "联系手机": [
            fields.masked_phone(phone) if hidden else f"'{phone}"
            for phone, hidden in zip(phones, masked.tolist(), strict=True)
        ],
        "订单创建时间": moments(orders.ordered_at[chosen]),
        "订单付款时间 ": moments(timeline.paid_at[chosen]),
        "宝贝标题 ": _titles(export, chosen),
        "宝贝种类 ": [str(n) for n in orders.line_count[chosen].tolist()],
        "物流单号 ": extras.parcel[part],
        "物流公司": extras.carrier[part],
        "宝贝总数量": [str(n) for n in orders.quantity[chosen].tolist()],
        "店铺Id": constant(SHOP_ID, count),
        "店铺名称": constant("安肌官方旗舰店", count),
        "订单关闭原因": [_close_reason(s) for s in status],
        "卖家服务费": constant("0", count),
        "买家服务费": constant("0元", count),
        "是否手机订单": extras.mobile[part],
        "特权订金订单id": excel_text(constant("", count)),
        "是否上传合同照片": constant("否", count),
        "是否上传小票": constant("否", count),
        "是否代付": constant("否", count),
        "天猫卡券抵扣": constant("0.00", count),
        "集分宝抵扣": constant("0.00", count),
        "退款金额": yuan(refund),
        "确认收货时间": moments(timeline.completed_at[chosen]),
        "打款商家金额": [f"{text}元" for text in yuan(np.where(settled, net, 0))],
        "含应开票给个人的个人红包": constant("0.00", count),
        "是否信用购": constant("否", count),
        "主订单编号": excel_text(ids),
    }
    return arrange(ORDER_HEADER, values, count)


_SETTLED = [
    STATUSES.index(OrderStatus.COMPLETED),
    STATUSES.index(OrderStatus.PARTIALLY_REFUNDED),
]


def _detail_columns(
    export: Export,
    order_index: Int,
    lines: Int,
    line_ids: Column,
    ids: Column,
    extras: _OrderExtras,
    where: Int,
) -> list[Column]:
    orders = export.orders
    timeline, line_data, count = orders.timeline, orders.lines, lines.size
    skus = [SKUS[sku] for sku in line_data.sku[lines].tolist()]
    paid, refund = line_data.paid_fen[lines], line_data.refund_fen[lines]
    order_paid = timeline.paid_at[order_index] != MISSING
    status = [STATUS_TEXT[STATUSES[code]] for code in timeline.status[order_index].tolist()]
    returned = ((refund > 0) & (refund == paid)).tolist()
    values = {
        "子订单编号": excel_text(line_ids),
        "主订单编号": excel_text(ids),
        "标题": [sku.full_title for sku in skus],
        "价格": yuan(line_data.unit_fen[lines]),
        "购买数量": [str(n) for n in line_data.quantity[lines].tolist()],
        "外部系统编号": [sku.sku_code for sku in skus],
        "商品属性": [f"规格：{sku.spec}" for sku in skus],
        "订单状态": ["交易关闭" if r else s for s, r in zip(status, returned, strict=True)],
        "商家编码": [sku.sku_code for sku in skus],
        "支付单号": excel_text([extras.alipay[i] for i in where.tolist()]),
        "买家应付货款": yuan(paid),
        "买家实际支付金额": yuan(np.where(order_paid, paid - refund, 0)),
        "退款状态": ["退款成功" if r > 0 else "没有申请退款" for r in refund.tolist()],
        "退款金额": yuan(refund),
        "订单创建时间": moments(orders.ordered_at[order_index]),
        "订单付款时间": moments(timeline.paid_at[order_index]),
    }
    return arrange(DETAIL_HEADER, values, count)


def _titles(export: Export, chosen: Int) -> Column:
    orders = export.orders
    sku = orders.lines.sku
    return [
        "，".join(SKUS[s].full_title for s in sku[start : start + n].tolist())
        for start, n in zip(
            orders.line_start[chosen].tolist(), orders.line_count[chosen].tolist(), strict=True
        )
    ]


def _close_reason(status: OrderStatus) -> str:
    if status is OrderStatus.CLOSED:
        return "买家不想买了"
    if status is OrderStatus.REFUNDED:
        return "退款"
    return "订单未关闭"


def _line_ids(order_ids: Column, spare: Column, counts: Int) -> Column:
    """A single-item order's sub-order id is the order id; items of bigger orders get their own."""
    result: Column = []
    used = 0
    for order_id, count in zip(order_ids, counts.tolist(), strict=True):
        if count == 1:
            result.append(order_id)
        else:
            result.extend(spare[used : used + count])
            used += count
    return result


def _quote(header: tuple[str, ...], columns: list[Column]) -> list[Column]:
    return [
        column if name in ID_COLUMNS else quoted(column)
        for name, column in zip(header, columns, strict=True)
    ]
