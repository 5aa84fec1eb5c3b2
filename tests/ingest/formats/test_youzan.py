"""Youzan exports shaped like FORMATS.md §1.5: the 60-column order export (two `分销员` columns),
UTF-8 without BOM, masked phones and `——`/" " placeholders; and the corroborated subset."""

from __future__ import annotations

from pathlib import Path

from siyu.ingest.formats.youzan import parse_youzan
from siyu.ingest.records import BuyerKey, BuyerKeyKind, Grain, OrderStatus

from .support import at, csv_text, header_list, net_revenue_fen, place, split, write_text

LAYOUT_60 = header_list(
    """订单号, 销售渠道, 归属店铺, 订单类型, 订单状态, 推广方式, 订单来源, 订单创建时间,
买家付款时间, 交易成功时间, 付款方式, 支付流水号, 商品金额合计, 运费, 店铺优惠合计,
应收订单金额, 订单实付金额, 支付优惠合计, 订单实收金额, 订单抵用积分数, 店铺优惠方式,
支付优惠方式, 全部商品名称, 商品种类数, 订单配送方式, 同城送达时间/提货时间, 收货人省份,
收货人城市, 收货人地区, 详细收货地址/提货地址, 收货人/提货人, 收货人手机号/提货人手机号,
买家备注, 订单星级, 买家昵称, 买家是否会员, 买家手机号, 下单网点, 收银员, 分销员,
销售导购, 专属导购, 订单退款状态, 订单已退款金额, 商家订单备注, 桌号, 挂账主体,
挂账手机号, 团长订单, 订单风险标签, 分销员, 分销员手机号, 分销员所属店铺,
分销员所属团队, 分销员所属分组, 分销员等级, 订单佣金类型, 订单佣金金额,
订单下级卖货提成类型, 订单下级卖货提成金额"""
)
SUBSET = header_list(
    """订单号, 买家付款时间, 收货人手机号/提货人手机号, 全部商品名称, 商品种类数, 订单实付金额,
收货人/提货人, 收货人省份, 收货人地区, 详细收货地址/提货地址, 买家昵称, 优惠券码名称,
分销员"""
)


def youzan_row(order_id: str, status: str, paid: str, **more: str) -> list[str]:
    values = {
        "订单号": order_id,
        "归属店铺": "茶语旗舰店",
        "订单状态": status,
        "订单创建时间": "2026-06-20 10:00:00",
        "买家付款时间": "2026-06-20 10:00:20",
        "商品金额合计": "128.00",
        "运费": "0.00",
        "订单实付金额": paid,
        "全部商品名称": "龙井 100g，茶杯",
        "同城送达时间/提货时间": "2026-06-20 11:00 - 2026-06-20 12:00",
        "收货人省份": "浙江省",
        "收货人城市": "杭州市",
        "收货人/提货人": "李四",
        "收货人手机号/提货人手机号": "13900139000",
        "买家昵称": "茶友小李",
        "买家手机号": "186******05",
        "订单退款状态": "——",
        "订单已退款金额": " ",
        "商家订单备注": "——",
    }
    values.update(more)
    row = place(LAYOUT_60, values)
    row[LAYOUT_60.index("分销员")] = "分销员甲"
    row[len(LAYOUT_60) - 1 - LAYOUT_60[::-1].index("分销员")] = "分销员乙"
    return row


def test_60_column_export(tmp_path: Path) -> None:
    assert len(LAYOUT_60) == 60
    assert LAYOUT_60.count("分销员") == 2
    rows = [
        LAYOUT_60,
        youzan_row(
            "E20260620100000012345678", "交易成功", "118.00", 交易成功时间="2026-06-25 10:00:00"
        ),
        youzan_row("E20260620100000012345679", "交易完成", "118.00", 订单已退款金额="18.00"),
        youzan_row("E20260620100000012345680", "待发货", "50.00", 买家手机号="13700137000"),
        youzan_row("E20260620100000012345681", "待付款", "0.00", 买家付款时间="——"),
    ]
    path = write_text(tmp_path / "youzan_orders.csv", csv_text(rows, line_end="\n"), "utf-8")
    parsed = split(parse_youzan(path))
    assert parsed.rejected == []
    done, partial, waiting, unpaid = parsed.records
    assert all(r.grain is Grain.ORDER and r.line is None for r in parsed.records)
    assert (done.status, done.paid_fen, done.total_fen, done.shop_name) == (
        OrderStatus.COMPLETED,
        11800,
        12800,
        "茶语旗舰店",
    )
    assert done.completed_at == at("2026-06-25 10:00:00")
    assert done.buyer.keys == (BuyerKey(BuyerKeyKind.MASKED_PHONE, "186******05"),)
    assert (done.buyer.name, done.buyer.province, done.buyer.city) == (
        "茶友小李",
        "浙江省",
        "杭州市",
    )
    assert (partial.status, partial.refunded_fen) == (OrderStatus.PARTIALLY_REFUNDED, 1800)
    assert waiting.buyer.keys == (BuyerKey(BuyerKeyKind.PHONE, "13700137000"),)
    assert (unpaid.status, unpaid.paid_at) == (OrderStatus.PENDING_PAYMENT, None)
    assert net_revenue_fen(parsed.records) == 11800 + 10000 + 5000


def test_subset_with_coupon_and_no_creation_time(tmp_path: Path) -> None:
    values = {
        "订单号": "E20260621000000000000001",
        "买家付款时间": "2026-06-21 08:00:00",
        "收货人手机号/提货人手机号": "13900139000",
        "全部商品名称": "白茶",
        "商品种类数": "1",
        "订单实付金额": "66.00",
        "收货人/提货人": "王五",
        "买家昵称": " ",
        "优惠券码名称": "NEW10",
        "分销员": "——",
    }
    path = write_text(tmp_path / "y.csv", csv_text([SUBSET, place(SUBSET, values)]), "utf-8")
    (order,) = split(parse_youzan(path)).records
    assert (order.ordered_at, order.status, order.coupon_code) == (
        at("2026-06-21 08:00:00"),
        OrderStatus.PAID,
        "NEW10",
    )
    assert order.buyer.keys == (BuyerKey(BuyerKeyKind.PHONE, "13900139000"),)
    assert order.buyer.name == "王五"
