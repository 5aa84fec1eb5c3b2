"""Taobao files as merchants really hand them over: title and footer rows, xlsx, zip, Excel
damage, a missing column, and the real anonymised Tmall report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from siyu.ingest.formats import FormatError
from siyu.ingest.formats.taobao import parse_taobao
from siyu.ingest.records import Grain, OrderStatus

from .support import at, csv_text, net_revenue_fen, split, write_text, write_xlsx, write_zip
from .taobao_samples import LAYOUT_B, ROW_B


def test_title_rows_comment_footer_and_trailing_space_headers(tmp_path: Path) -> None:
    header = [
        "订单编号",
        "买家会员名",
        "买家实际支付金额 ",
        "订单状态",
        "订单创建时间",
        "订单付款时间 ",
    ]
    rows = [
        ["名称：推广"],
        ["导出时间：2020-02-29", "", "", "说明"],
        ["# 本文件由千牛导出"],
        header,
        ['="100001"', "alice", "10.00", "交易成功", "2020-02-01 10:00:00", "2020-02-01 10:00:03"],
        [],
        ["合计", "", "10.00", "", "", ""],
        ["总计：1笔", "", "", "", "", ""],
    ]
    path = write_text(tmp_path / "orders.csv", csv_text(rows), "utf-8")
    parsed = split(parse_taobao(path))
    assert parsed.rejected == []
    (order,) = parsed.records
    assert (order.line_no, order.order_id, order.paid_fen) == (5, "100001", 1000)


def test_non_id_key_cell_is_rejected_not_dropped(tmp_path: Path) -> None:
    rows = [
        ["订单编号", "买家实际支付金额", "订单创建时间"],
        ["see note", "10.00", "2020-02-01 10:00:00"],
        ["", "10.00", "2020-02-01 10:00:00"],
    ]
    path = write_text(tmp_path / "orders.csv", csv_text(rows), "utf-8")
    assert [(r.line_no, r.reason) for r in split(parse_taobao(path)).rejected] == [
        (2, "order id 'see note' in column 订单编号 is not an id"),
        (3, "missing order id in column 订单编号"),
    ]


def test_xlsx_with_excel_values_and_zip(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["汇总报表"],
        ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "订单创建时间 ", "退款金额"],
        ["35153131473293579", "tb6125470", 201.12, "交易成功", datetime(2017, 7, 8, 0, 42, 32), 0],
        [1.2345678901234567e18, "tb1", 10, "交易成功", datetime(2017, 7, 8, 1, 0), 0],
        # ids are text cells (a numeric cell holds a double: 17 digits can't survive), the date
        # a bare Excel serial number
        ["35153131473293581", "tb2", 88.5, "交易成功", 42924.5, "无退款申请"],
    ]
    workbook = write_xlsx(tmp_path / "千牛.xlsx", rows)
    archive = write_zip(tmp_path / "export.zip", {"orders/千牛.xlsx": workbook.read_bytes()})
    for path in (workbook, archive):
        parsed = split(parse_taobao(path))
        assert [(r.line_no, r.reason.split(" (")[0]) for r in parsed.rejected] == [
            (4, "order id 1.23457E+18 was re-saved by Excel")
        ]
        first, third = parsed.records
        assert (first.order_id, first.paid_fen, first.ordered_at) == (
            "35153131473293579",
            20112,
            at("2017-07-08 00:42:32"),
        )
        assert (third.order_id, third.paid_fen, third.ordered_at) == (
            "35153131473293581",
            8850,
            at("2017-07-08 12:00:00"),
        )


def test_zip_with_gbk_csv(tmp_path: Path) -> None:
    text = ",".join(LAYOUT_B) + "\r\n" + ROW_B + "\r\n"
    archive = write_zip(tmp_path / "export.zip", {"ExportOrderList.csv": text.encode("gbk")})
    (order,) = split(parse_taobao(archive)).records
    assert (order.order_id, order.paid_fen) == ("35153131473293579", 20112)


def test_missing_required_column_is_a_format_error(tmp_path: Path) -> None:
    rows = [["订单编号", "买家会员名", "订单创建时间"], ["1", "a", "2020-01-01"]]
    path = write_text(tmp_path / "orders.csv", csv_text(rows), "utf-8")
    with pytest.raises(FormatError, match="missing required column 买家实际支付金额"):
        parse_taobao(path)


REAL_FILE = Path("realdata") / "taobao" / "tmall_order_report.csv"


@pytest.mark.shared
def test_real_tmall_report(shared_dir: Path) -> None:
    parsed = split(parse_taobao(shared_dir / REAL_FILE))
    assert parsed.rejected == []
    records = parsed.records
    assert len(records) == 28_010
    assert len({r.order_id for r in records}) == 28_010
    assert sum(1 for r in records if r.paid_at is None) == 3_923
    assert sum(1 for r in records if r.refunded_fen > 0) == 5_646
    # Independently derived with awk over the raw file (fields 3 买家实际支付金额 and 7 退款金额,
    # each sprintf("%.0f", x*100) to fen, CR stripped):
    #   paid = Σ(实付 + 退款) = 247,482,307; refunded = Σ退款 = 57,233,592;
    #   net = Σ实付 = 190,248,715; 5,132 refunds with 实付 = 0.
    assert sum(r.paid_fen for r in records) == 247_482_307
    assert sum(r.refunded_fen for r in records) == 57_233_592
    assert net_revenue_fen(records) == 190_248_715
    statuses = {status: sum(1 for r in records if r.status is status) for status in OrderStatus}
    assert statuses == {
        OrderStatus.PENDING_PAYMENT: 0,
        OrderStatus.PAID: 18_441,
        OrderStatus.SHIPPED: 0,
        OrderStatus.COMPLETED: 0,
        OrderStatus.CLOSED: 3_923,
        OrderStatus.PARTIALLY_REFUNDED: 514,
        OrderStatus.REFUNDED: 5_132,
    }
    assert all(r.grain is Grain.ORDER and r.warnings == () for r in records)
    first = records[0]
    assert (first.line_no, first.order_id, first.total_fen, first.buyer.province) == (
        2,
        "1",
        17880,
        "上海",
    )
