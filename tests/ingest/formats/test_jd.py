"""JD exports shaped like FORMATS.md §1.2: the 2015 30-column layout with its real row, GBK."""

from __future__ import annotations

from pathlib import Path

from siyu.ingest.formats.jd import parse_jd
from siyu.ingest.records import BuyerKey, BuyerKeyKind, Grain, OrderStatus

from .support import at, csv_text, net_revenue_fen, place, split, write_text

LAYOUT_2015 = [
    "订单号",
    "商品ID",
    "商品名称",
    "订购数量",
    "支付方式",
    "下单时间",
    "京东价",
    "订单金额",
    "结算金额",
    "余额支付",
    "应付金额",
    "订单状态",
    "订单类型",
    "下单帐号",
    "客户姓名",
    "客户地址",
    "联系电话",
    "订单备注",
    "发票类型",
    "发票抬头",
    "发票内容",
    "商家备注",
    "商家备注等级（等级1-5为由高到低）",
    "运费金额",
    "付款确认时间",
    "增值税发票",
    "货号",
    "订单完成时间",
    "订单来源",
    "订单渠道",
]
REAL_ROW = [
    "11729384072",
    "1953814331",
    "韩秘美 Crystalshop … 套装",
    "1",
    "在线支付",
    "2015-12-31 23:19:56",
    "758.00",
    "1097.00",
    "932.45",
    "0.00",
    "932.45",
    "(删除)等待出库",
    "销售订单",
    "rds3199358",
    "王冬阳",
    "江西南昌市青山湖区…",
    "13767111772",
    "",
    "",
    "",
    "",
    "订单拆分为  11729439936    11749907506",
    "",
    "0.00",
    "2015-12-31 23:20:30",
    "",
    "",
    "",
    "移动端订单",
    "暂无来源",
]


def test_2015_layout_one_row_per_sku(tmp_path: Path) -> None:
    assert len(LAYOUT_2015) == len(REAL_ROW) == 30
    second_sku = [*REAL_ROW]
    second_sku[1:4] = ["1953814332", "韩秘美 洁面乳", "2"]
    second_sku[6] = "169.50"
    done = place(
        LAYOUT_2015,
        {
            "订单号": "11729384099",
            "商品ID": "100200",
            "商品名称": "面膜",
            "订购数量": "3",
            "下单时间": "2016/1/2 9:05",
            "订单金额": "1,200.00",
            "结算金额": "1,188.00",
            "应付金额": "1,000.00",
            "余额支付": "188.00",
            "订单状态": "(锁定)完成",
            "下单帐号": "jd_buyer_2",
            "联系电话": "138****1234",
            "运费金额": "6.00",
            "付款确认时间": "2016/1/2 9:06",
            "订单完成时间": "2016/1/5 18:00",
        },
    )
    text = csv_text([LAYOUT_2015, REAL_ROW, second_sku, done])
    parsed = split(parse_jd(write_text(tmp_path / "jd_orders.csv", text, "gbk")))
    assert parsed.rejected == []
    assert len(parsed.records) == 3
    first, second, third = parsed.records
    assert all(r.grain is Grain.ORDER for r in parsed.records)
    assert (first.order_id, second.order_id) == ("11729384072", "11729384072")
    assert (first.paid_fen, second.paid_fen, first.total_fen) == (93245, 93245, 109700)
    assert (first.status, first.raw_status) == (OrderStatus.PAID, "(删除)等待出库")
    assert first.ordered_at == at("2015-12-31 23:19:56")
    assert first.paid_at == at("2015-12-31 23:20:30")
    assert first.buyer.keys == (
        BuyerKey(BuyerKeyKind.BUYER_ID, "rds3199358"),
        BuyerKey(BuyerKeyKind.PHONE, "13767111772"),
    )
    assert first.buyer.name == "王冬阳"
    assert first.line is not None
    assert second.line is not None
    assert (first.line.line_key, first.line.quantity, first.line.unit_price_fen) == (
        "sku:1953814331",
        1,
        75800,
    )
    assert (second.line.line_key, second.line.title, second.line.quantity) == (
        "sku:1953814332",
        "韩秘美 洁面乳",
        2,
    )
    assert (third.status, third.paid_fen, third.shipping_fen) == (
        OrderStatus.COMPLETED,
        118800,
        600,
    )
    assert third.completed_at == at("2016-01-05 18:00")
    assert third.buyer.keys[1] == BuyerKey(BuyerKeyKind.MASKED_PHONE, "138****1234")
    assert len(parsed.records) == 3
    assert len({r.order_id for r in parsed.records}) == 2
    assert net_revenue_fen(parsed.records) == 93245 + 118800  # repeated amounts not summed


def test_48_column_variant_names(tmp_path: Path) -> None:
    header = ["订单编号", "商品编号", "商品名称", "订单数量", "下单时间", "订单金额", "实付金额"]
    header += ["余额支付", "应付金额", "订单状态", "下单账号", "手机号", "运费金额"]
    row = ["11729384100", "55", "书", "1", "2020-01-01 08:00:00", "50.00", "45.00", "0.00"]
    row += ["45.00", "等待确认收货", "jd_x", "13800138000", "0.00"]
    parsed = split(parse_jd(write_text(tmp_path / "jd.csv", csv_text([header, row]), "gbk")))
    (order,) = parsed.records
    assert (order.status, order.paid_fen) == (OrderStatus.SHIPPED, 4500)
    assert order.buyer.keys[0] == BuyerKey(BuyerKeyKind.BUYER_ID, "jd_x")


def test_unknown_status_is_kept_with_a_warning(tmp_path: Path) -> None:
    row = place(
        LAYOUT_2015,
        {
            "订单号": "1",
            "下单时间": "2020-01-01 08:00:00",
            "结算金额": "5.00",
            "订单状态": "暂停",
            "付款确认时间": "2020-01-01 08:01:00",
        },
    )
    parsed = split(parse_jd(write_text(tmp_path / "jd.csv", csv_text([LAYOUT_2015, row]), "gbk")))
    (order,) = parsed.records
    assert (order.status, order.raw_status) == (OrderStatus.PAID, "暂停")
    assert order.warnings == ("unknown jd status '暂停': recorded as paid",)
