"""siyu's own orders-csv format (documented in siyu.ingest.formats.orders_csv)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from siyu.ingest.formats import FormatError
from siyu.ingest.formats.orders_csv import parse_orders_csv
from siyu.ingest.records import BuyerKey, BuyerKeyKind, Grain, OrderStatus

from .support import at, net_revenue_fen, split, write_text

DOC_EXAMPLE = """\
order_id,customer_id,phone,ordered_at,amount,status,refund_amount,sku,product,quantity
A1001,C9,13800138000,2026-06-01 10:00:00,59.80,completed,,SKU-1,Green tea 250g,2
A1001,C9,13800138000,2026-06-01 10:00:00,19.90,completed,19.90,SKU-7,Tea cup,1
"""


def test_documented_example(tmp_path: Path) -> None:
    parsed = split(parse_orders_csv(write_text(tmp_path / "orders.csv", DOC_EXAMPLE, "utf-8")))
    assert parsed.rejected == []
    tea, cup = parsed.records
    assert tea.line is not None
    assert cup.line is not None
    assert (tea.grain, tea.platform, tea.order_id, tea.line.line_key) == (
        Grain.LINE,
        "orders-csv",
        "A1001",
        "sku:SKU-1",
    )
    assert (tea.status, tea.paid_fen, tea.line.quantity, tea.line.title) == (
        OrderStatus.COMPLETED,
        5980,
        2,
        "Green tea 250g",
    )
    assert tea.buyer.keys == (
        BuyerKey(BuyerKeyKind.PHONE, "13800138000"),
        BuyerKey(BuyerKeyKind.CUSTOMER_REF, "C9"),
    )
    assert (cup.status, cup.refunded_fen) == (OrderStatus.REFUNDED, 1990)
    assert tea.ordered_at == at("2026-06-01 10:00:00")
    assert net_revenue_fen(parsed.records) == 5980


def test_optional_columns_statuses_and_line_keys(tmp_path: Path) -> None:
    text = (
        "\ufeffOrder_ID, Customer_ID ,ordered_at,amount,status,paid_at,refund_amount,product,"
        "unionid,openid,email,platform,buyer_id,shop,coupon_code,category,unit_price\n"
        'B1,,2026-06-01T10:00:00+00:00,"¥1,000.00",Cancelled,,,,u1,o1,a@b.cn,tmall,tb_x,S,,,\n'
        "B2,C1,2026-06-02,30,partially refunded,2026-06-02 10:00,10,Tea,,,,,,,NEW10,Tea,15\n"
        "B3,C2,2026-06-03,10,,,,,,,,,,,,,\n"
        "B3,C2,2026-06-03,20,,,,,,,,,,,,,\n"
        "B4,C3,2026-06-04,5,lost in post,,,,,,,,,,,,\n"
    )
    parsed = split(parse_orders_csv(write_text(tmp_path / "o.csv", text, "utf-8")))
    assert parsed.rejected == []
    b1, b2, b3a, b3b, b4 = parsed.records
    assert (b1.status, b1.paid_fen, b1.platform) == (OrderStatus.CLOSED, 100000, "tmall")
    assert b1.ordered_at == at("2026-06-01 18:00:00")
    assert b1.buyer.keys == (
        BuyerKey(BuyerKeyKind.UNIONID, "u1"),
        BuyerKey(BuyerKeyKind.OPENID, "o1"),
        BuyerKey(BuyerKeyKind.BUYER_ID, "tb_x"),
        BuyerKey(BuyerKeyKind.EMAIL, "a@b.cn"),
    )
    assert b2.line is not None
    assert (b2.status, b2.refunded_fen, b2.coupon_code, b2.line.line_key) == (
        OrderStatus.PARTIALLY_REFUNDED,
        1000,
        "NEW10",
        "product:Tea",
    )
    assert (b2.line.unit_price_fen, b2.line.category, b2.paid_at) == (
        1500,
        "Tea",
        at("2026-06-02 10:00"),
    )
    assert b3a.line is not None
    assert b3b.line is not None
    assert (b3a.status, b3a.line.line_key, b3b.line.line_key) == (
        OrderStatus.PAID,
        "row:1",
        "row:2",
    )
    assert (b4.status, b4.warnings) == (
        OrderStatus.PAID,
        ("unknown orders-csv status 'lost in post': recorded as paid",),
    )
    assert net_revenue_fen(parsed.records) == 100000 + 2000 + 3000 + 500


def test_rows_without_any_customer_key_are_rejected(tmp_path: Path) -> None:
    text = "order_id,customer_id,phone,ordered_at,amount\nX1,,,2026-06-01,1.00\nX2,C,,yesterday,1\n"
    parsed = split(parse_orders_csv(write_text(tmp_path / "o.csv", text, "utf-8")))
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [
        (2, "no customer key: customer_id, phone, email, unionid, openid all empty"),
        (3, "date 'yesterday' in column ordered_at is not a date"),
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("customer_id,ordered_at,amount", "order_id"),
        ("order_id,ordered_at,amount", "customer_id (or phone)"),
        ("order_id,phone,amount", "ordered_at"),
        ("order_id,phone,ordered_at", "amount"),
    ],
)
def test_missing_required_column(tmp_path: Path, header: str, missing: str) -> None:
    path = write_text(tmp_path / "o.csv", header + "\nA,B,C\n", "utf-8")
    with pytest.raises(FormatError, match=re.escape(f"missing required column {missing}")):
        parse_orders_csv(path)
