"""Taobao / Tmall layouts A–E shaped exactly like FORMATS.md §1.1 (headers as listed, the quoted
raw rows verbatim, GBK where Taobao uses it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from siyu.ingest.formats import FormatError
from siyu.ingest.formats.taobao import parse_taobao
from siyu.ingest.records import BuyerKey, BuyerKeyKind, Grain, OrderStatus

from .support import SHANGHAI, at, csv_text, net_revenue_fen, place, split, write_text, write_xlsx
from .taobao_samples import (
    DETAIL_2017,
    DETAIL_2017_ROW,
    DETAIL_2019,
    LAYOUT_A,
    LAYOUT_B,
    LAYOUT_C,
    LAYOUT_D_LINES,
    LAYOUT_D_ORDERS,
    ROW_B,
    b_row,
)


def layout_b_file(tmp_path: Path, *extra_lines: str) -> Path:
    header = ",".join(LAYOUT_B)
    text = "\r\n".join([header, ROW_B, *extra_lines]) + "\r\n"
    return write_text(tmp_path / "ExportOrderList201707081200.csv", text, "gbk")


def test_layout_b_raw_row_verbatim_gbk(tmp_path: Path) -> None:
    assert len(LAYOUT_B) == 46
    assert len(ROW_B.split('","')) > 40
    parsed = split(parse_taobao(layout_b_file(tmp_path)))
    assert parsed.rejected == []
    (order,) = parsed.records
    assert order.order_id == "35153131473293579"
    assert (order.grain, order.status, order.raw_status) == (
        Grain.ORDER,
        OrderStatus.PAID,
        "买家已付款，等待卖家发货",
    )
    assert (order.paid_fen, order.total_fen, order.refunded_fen, order.shipping_fen) == (
        20112,
        20112,
        0,
        0,
    )
    assert order.ordered_at == at("2017-07-08 00:42:32")
    assert order.paid_at == at("2017-07-08 00:42:39")
    assert order.ordered_at.tzinfo is SHANGHAI
    assert order.shop_name == "雪平锅旗舰店"
    assert order.buyer.keys == (
        BuyerKey(BuyerKeyKind.BUYER_ID, "tb6125470"),
        BuyerKey(BuyerKeyKind.EMAIL, "1432480331@qq.com"),
        BuyerKey(BuyerKeyKind.PHONE, "13925130165"),
    )
    assert (order.buyer.name, order.buyer.province, order.buyer.city) == (
        "薛先生langer",
        "广东省",
        "广州市",
    )
    assert order.line is None
    assert order.warnings == ()


def test_layout_b_refunds_statuses_and_excel_damage(tmp_path: Path) -> None:
    path = layout_b_file(
        tmp_path,
        # fully refunded: 买家实际支付金额 is net (0.00), the refund is in 退款金额
        b_row(
            '="35153131473293580"',
            "0.00",
            "交易关闭",
            "99.00",
            "2017-07-09 10:00:00",
            "2017-07-09 10:01:00",
        ),
        # partly refunded and completed
        b_row(
            '="35153131473293581"',
            "50.00",
            "交易成功",
            "30.00",
            "2017-07-10 10:00:00",
            "2017-07-10 10:00:30",
        ),
        # unpaid, then closed
        b_row('="35153131473293582"', "0.00", "交易关闭", "0.00", "2017-07-11 10:00:00", ""),
        # an id Excel turned into a float, and a status nobody has seen
        b_row(
            '"1.23457E+18"',
            "10.00",
            "交易成功",
            "0.00",
            "2017-07-12 10:00:00",
            "2017-07-12 10:00:01",
        ),
        b_row(
            '="35153131473293584"',
            "10.00",
            "卖家已发货,等待买家确认",
            "0.00",
            "2017/7/13 9:05",
            "2017/7/13 9:06",
        ),
        b_row('="35153131473293585"', "12..3", "交易成功", "0.00", "2017-07-14 10:00:00", ""),
        b_row(
            '="35153131473293586"',
            "10.00",
            "神秘状态",
            "0.00",
            "2017-07-15 10:00:00",
            "2017-07-15 10:00:09",
        ),
    )
    parsed = split(parse_taobao(path))
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [
        (
            6,
            "order id 1.23457E+18 was re-saved by Excel (column 订单编号): its digits are lost; "
            "export the file again from the platform and import it without opening it in Excel",
        ),
        (8, "amount '12..3' in column 买家实际支付金额 is not a number"),
    ]
    statuses = {r.order_id[-2:]: (r.status, r.paid_fen, r.refunded_fen) for r in parsed.records}
    assert statuses == {
        "79": (OrderStatus.PAID, 20112, 0),
        "80": (OrderStatus.REFUNDED, 9900, 9900),
        "81": (OrderStatus.PARTIALLY_REFUNDED, 8000, 3000),
        "82": (OrderStatus.CLOSED, 0, 0),
        "84": (OrderStatus.SHIPPED, 1000, 0),
        "86": (OrderStatus.PAID, 1000, 0),
    }
    assert parsed.order("35153131473293584").ordered_at == at("2017-07-13 09:05")
    assert parsed.order("35153131473293586").warnings == (
        "unknown taobao status '神秘状态': recorded as paid",
    )
    assert net_revenue_fen(parsed.records) == 20112 + 0 + 5000 + 0 + 1000 + 1000


def test_layout_a_2016_row_gbk(tmp_path: Path) -> None:
    assert len(LAYOUT_A) == 41
    values = {
        "订单编号": "1930679858170647",
        "买家会员名": "幸福蔓岩1627",
        "买家支付宝账号": "844677789@qq.com",
        "买家应付货款": "598",
        "买家应付邮费": "0",
        "买家支付积分": "0",
        "总金额": "598",
        "返点积分": "0",
        "买家实际支付金额": "598",
        "买家实际支付积分": "0",
        "订单状态": "买家已付款，等待卖家发货",
        "收货人姓名": "马慧",
        "收货地址": "吉林省 通化市 柳河县 柳河镇紫御府 … 201室(135300)",
        "运送方式": "快递",
        "联系手机": "'18618486065",
        "订单创建时间": "2016/5/23 22:02",
        "订单付款时间": "2016/5/23 22:03",
        "订单关闭原因": "订单未关闭",
        "卖家服务费": "0",
        "买家服务费": "0元",
        "是否手机订单": "手机订单",
    }
    unpaid = {**values, "订单编号": "1930679858170648", "订单状态": "等待买家付款"}
    unpaid.update({"买家实际支付金额": "0", "订单付款时间": ""})
    rows = [LAYOUT_A, place(LAYOUT_A, values), place(LAYOUT_A, unpaid)]
    path = write_text(tmp_path / "ExportOrderList201605240900.csv", csv_text(rows), "gbk")
    parsed = split(parse_taobao(path))
    assert parsed.rejected == []
    first, second = parsed.records
    assert (first.status, first.paid_fen, first.ordered_at) == (
        OrderStatus.PAID,
        59800,
        at("2016-05-23 22:02"),
    )
    assert first.buyer.keys[-1] == BuyerKey(BuyerKeyKind.PHONE, "18618486065")
    assert (first.buyer.province, first.buyer.city) == ("吉林省", "通化市")
    assert (second.status, second.paid_fen, second.paid_at) == (
        OrderStatus.PENDING_PAYMENT,
        0,
        None,
    )


def test_layout_c_with_both_order_numbers_and_completion(tmp_path: Path) -> None:
    assert len(LAYOUT_C) == 61
    values = {
        "订单编号": "1234567890123456789",
        "主订单编号": "1234567890123456000",
        "买家实际支付金额": "1,234.50",
        "总金额": "1,300.00",
        "买家应付邮费": "10.00",
        "订单状态": "交易成功",
        "订单创建时间": "2019-11-11 00:00:01",
        "订单付款时间": "2019-11-11 00:00:05",
        "确认收货时间": "2019-11-20 12:00:00",
        "退款金额": "无退款申请",
        "联系手机": "138****1234",
    }
    rows = [LAYOUT_C, place(LAYOUT_C, values)]
    path = write_text(tmp_path / "ExportOrderList201911200000.csv", csv_text(rows), "gbk")
    (order,) = split(parse_taobao(path)).records
    assert order.order_id == "1234567890123456789"
    assert (order.status, order.paid_fen, order.total_fen, order.shipping_fen) == (
        OrderStatus.COMPLETED,
        123450,
        130000,
        1000,
    )
    assert order.completed_at == at("2019-11-20 12:00:00")
    assert order.buyer.keys == (BuyerKey(BuyerKeyKind.MASKED_PHONE, "138****1234"),)


def test_layout_d_order_level_with_masked_address(tmp_path: Path) -> None:
    values = {
        "订单编号": "3011223344556677889",
        "买家实付金额": "88.00",
        "总金额": "88.00",
        "订单状态": "卖家已发货，等待买家确认",
        "收货地址": "江苏省 南京市 建邺区 沙洲街道****",
        "订单创建时间": "2023-05-01 10:00:00",
        "商品标题": "绿茶 250g",
        "发货时间": "2023-05-02 09:00:00",
    }
    rows = [LAYOUT_D_ORDERS, place(LAYOUT_D_ORDERS, values)]
    path = write_text(tmp_path / "ExportOrderList.csv", csv_text(rows), "utf-8-sig")
    (order,) = split(parse_taobao(path)).records
    assert (order.grain, order.status, order.paid_fen, order.line) == (
        Grain.ORDER,
        OrderStatus.SHIPPED,
        8800,
        None,
    )
    assert order.shipped_at == at("2023-05-02 09:00:00")
    assert (order.buyer.province, order.buyer.city, order.buyer.keys) == ("江苏省", "南京市", ())


def test_layout_d_line_level_xlsx(tmp_path: Path) -> None:
    def line(sub: str, main: str, title: str, paid: float, refund: str) -> list[object]:
        values = {
            "子订单编号": sub,
            "主订单编号": main,
            "商品标题": title,
            "购买数量": "1",
            "商家编码": "SKU-" + sub[-1],
            "商品属性": "颜色分类:白色",
            "订单状态": "交易成功",
            "买家应付货款": "",
            "打款商家金额": "10元",
            "退款金额": refund,
            "订单创建时间": "",
        }
        row: list[object] = [*place(LAYOUT_D_LINES, values)]
        row[LAYOUT_D_LINES.index("买家实付金额")] = paid
        row[LAYOUT_D_LINES.index("订单创建时间")] = datetime(2023, 6, 18, 20, 0, 5)
        return row

    rows: list[list[object]] = [
        [*LAYOUT_D_LINES],
        line("2000000000000000001", "1000000000000000001", "茶杯", 19.9, "无退款申请"),
        line("2000000000000000002", "1000000000000000001", "茶壶", 0.0, "59.00"),
        line("2000000000000000003", "1000000000000000002", "茶叶", 30.0, "无退款申请"),
    ]
    path = write_xlsx(tmp_path / "ExportOrderList26954244167.xlsx", rows, title="订单报表")
    parsed = split(parse_taobao(path))
    assert parsed.rejected == []
    assert [r.grain for r in parsed.records] == [Grain.LINE] * 3
    teapot = parsed.records[1]
    assert teapot.line is not None
    assert (teapot.order_id, teapot.line.line_key, teapot.line.title) == (
        "1000000000000000001",
        "2000000000000000002",
        "茶壶",
    )
    assert (teapot.status, teapot.line.paid_fen, teapot.line.refunded_fen) == (
        OrderStatus.REFUNDED,
        5900,
        5900,
    )
    assert teapot.line.sku_code == "SKU-2"
    assert teapot.line.sku_properties == "颜色分类:白色"
    assert teapot.ordered_at == at("2023-06-18 20:00:05")
    assert net_revenue_fen(parsed.records) == 1990 + 3000


def detail_2019_line(sub: str, refund_state: str, refund: str, actual: str) -> str:
    return (
        f'="{sub}",="35153131473293579","【顺丰包邮】…雪平锅不锈钢","239.00","1","YO-PAN-20-WITHGLASS",'
        '"颜色分类：20厘米锅-第三方玻璃盖","","","买家已付款，等待卖家发货","YO-PAN-20-WITHGLASS",'
        f'="2017070822001","239.00","{actual}","{refund_state}","{refund}","2017-07-08 00:42:32",'
        '"2017-07-08 00:42:39",'
    )


def test_detail_2019_trailing_comma_is_line_level(tmp_path: Path) -> None:
    text = "\r\n".join(
        [
            ",".join(DETAIL_2019),
            detail_2019_line("35153131473293571", "没有申请退款", "无退款申请", "239.00"),
            detail_2019_line("35153131473293572", "退款成功", "239.00", "0.00"),
        ]
    )
    path = write_text(tmp_path / "ExportOrderDetailList201707081200.csv", text + "\r\n", "gbk")
    parsed = split(parse_taobao(path))
    assert parsed.rejected == []
    kept, refunded = parsed.records
    assert kept.line is not None
    assert refunded.line is not None
    assert (kept.grain, kept.order_id, kept.line.line_key) == (
        Grain.LINE,
        "35153131473293579",
        "35153131473293571",
    )
    assert (kept.status, kept.line.quantity, kept.line.unit_price_fen, kept.paid_fen) == (
        OrderStatus.PAID,
        1,
        23900,
        23900,
    )
    assert (refunded.status, refunded.paid_fen, refunded.refunded_fen) == (
        OrderStatus.REFUNDED,
        23900,
        23900,
    )
    assert kept.line.sku_properties == "颜色分类：20厘米锅-第三方玻璃盖"
    assert net_revenue_fen(parsed.records) == 23900


def test_detail_2017_cannot_stand_alone(tmp_path: Path) -> None:
    text = ",".join(DETAIL_2017) + "\r\n" + DETAIL_2017_ROW + "\r\n"
    path = write_text(tmp_path / "ExportOrderDetailList201707081200.csv", text, "gbk")
    with pytest.raises(FormatError, match="missing required column 订单创建时间"):
        parse_taobao(path)
