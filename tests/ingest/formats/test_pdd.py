"""PDD exports shaped like FORMATS.md §1.3: the 2023-10 column list, UTF-8 with BOM, trailing
tabs in numeric cells, a leading space in ` 用户购买手机号`, combined status texts."""

from __future__ import annotations

from pathlib import Path

from siyu.ingest.formats.pdd import parse_pdd
from siyu.ingest.records import BuyerKey, BuyerKeyKind, Grain, OrderStatus

from .support import at, csv_text, header_list, net_revenue_fen, place, split, write_text

LAYOUT_2023 = header_list(
    """商品, 订单号, 订单状态, 商品数量(件), 是否审核中, 支付时间, 承诺发货时间, 承诺送达时间,
发货时间, 确认收货时间, 商品id, 商品规格, 样式ID, 商品一级类目, 商品二级类目,
商品三级类目, 商品四级类目, 商家编码-规格维度, 商家编码-商品维度, 商家备注, 买家留言,
售后状态, 消费者资料, 订单成交时间, 消费者资料上传时间, 赠品名称, 赠品id, 赠品规格,
赠品数量, 团ID, 团身份, 是否已开始配送, 配送员是否已送达, 配送状态, 同城是否普通快递,
商品总价(元), 邮费(元), 店铺优惠折扣(元), 平台优惠折扣(元), 多多支付立减金额(元),
上门安装费(元), 送货入户费(元), 送货入户并安装费(元), 用户实付金额(元),
商家实收金额(元), 快递单号, 快递公司, 省, 市, 区, 街道/镇, 配送员手机号,
是否抽奖或0元试用, 是否顺丰加价, 用户购买手机号, 旅行类信息, 充值号码, 是否门店自提,
门店名称, 门店自定义编码, 关联货品编码, 货品名称, 货品类型, 子货品, 仓库名称,
仓库所在地址, 海淘清关订单号, 支付ID, 支付方式, 保税仓, 是否直播间成交,
是否直播间引导成交, 预约配送时间, 是否节能补贴, 是否分期, 分期期数, 手续费承担方,
是否无痕发货, 订单来源, 是否社区团购, 小区送达情况, 分期方式"""
)
HEADER = [" 用户购买手机号" if name == "用户购买手机号" else name for name in LAYOUT_2023]


def pdd_row(order_id: str, status: str, paid: str, **more: str) -> list[str]:
    values = {
        "商品": "【新鲜】赣南脐橙 5斤",
        "订单号": order_id,
        "订单状态": status,
        "商品数量(件)": "1\t",
        "支付时间": "2026-06-06 13:41:05",
        "商品id": "123456789",
        "商品规格": "5斤装",
        "样式ID": "987654321",
        "商品一级类目": "水果生鲜",
        "商家编码-规格维度": "ORG-5",
        "售后状态": "无售后或售后取消",
        "订单成交时间": "2026-06-06 13:41:00",
        "商品总价(元)": "39.90\t",
        "邮费(元)": "0.00\t",
        "用户实付金额(元)": paid,
        "商家实收金额(元)": "168.99\t",
        "省": "江西省",
        "市": "赣州市",
        "用户购买手机号": "\t",
    }
    values.update(more)
    return place(HEADER, values)


def test_2023_layout_utf8_bom(tmp_path: Path) -> None:
    rows = [
        HEADER,
        pdd_row("260517-607198974342268", "已发货，待签收", "35.90\t", 发货时间="2026/6/7 9:30"),
        pdd_row("260517-607198974342269", "已签收，退款成功", "35.90\t", 售后状态="退款成功"),
        pdd_row("260517-607198974342270", "待发货", "1,168.99\t", 用户购买手机号="13800138000"),
        pdd_row("260605-607198974342271", "已收货", "20.00\t", 订单成交时间=""),
        pdd_row("260517-607198974342272", "未发货,退款成功", "10.00\t"),
        pdd_row("260517-607198974342273", "神秘", "10.00\t", 售后状态="仲裁中"),
    ]
    path = write_text(
        tmp_path / "orders_export2026-06-12-22-01-40.csv", csv_text(rows), "utf-8-sig"
    )
    parsed = split(parse_pdd(path))
    assert parsed.rejected == []
    shipped, refunded, waiting, received, cancelled, unknown = parsed.records
    assert all(r.grain is Grain.ORDER for r in parsed.records)
    assert (shipped.status, shipped.paid_fen, shipped.total_fen) == (
        OrderStatus.SHIPPED,
        3590,
        3990,
    )
    assert shipped.shipped_at == at("2026-06-07 09:30")
    assert shipped.ordered_at == at("2026-06-06 13:41:00")
    assert shipped.line is not None
    assert (shipped.line.line_key, shipped.line.quantity, shipped.line.category) == (
        "sku:987654321",
        1,
        "水果生鲜",
    )
    assert (shipped.buyer.keys, shipped.buyer.province) == ((), "江西省")
    assert (refunded.status, refunded.refunded_fen) == (OrderStatus.REFUNDED, 3590)
    assert (waiting.status, waiting.paid_fen) == (OrderStatus.PAID, 116899)
    assert waiting.buyer.keys == (BuyerKey(BuyerKeyKind.PHONE, "13800138000"),)
    assert (received.status, received.ordered_at) == (OrderStatus.COMPLETED, at("2026-06-05 00:00"))
    assert (cancelled.status, cancelled.refunded_fen) == (OrderStatus.REFUNDED, 1000)
    assert unknown.status is OrderStatus.PAID
    assert unknown.warnings == (
        "unknown pdd status '神秘': recorded as paid",
        "unknown pdd after-sale status '仲裁中': no refund assumed",
    )
    assert net_revenue_fen(parsed.records) == 3590 + 116899 + 2000 + 1000


def test_no_date_anywhere_is_rejected(tmp_path: Path) -> None:
    rows = [HEADER, pdd_row("XYZ-1", "待发货", "1.00", 订单成交时间="")]
    (rejected,) = split(parse_pdd(write_text(tmp_path / "p.csv", csv_text(rows), "utf-8"))).rejected
    assert rejected.reason == (
        "missing date in column 订单成交时间 and no YYMMDD prefix in the order id"
    )
