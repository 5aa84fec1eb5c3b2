"""Cell cleaning, money, ids, quantities, phones, headers and dates."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from siyu.ingest.formats import cleaning
from siyu.ingest.formats.dates import date_from_pdd_order_id, parse_datetime
from siyu.ingest.formats.errors import RowError
from siyu.ingest.formats.headers import Header, normalize_header
from siyu.ingest.records import BuyerKey, BuyerKeyKind

from .support import SHANGHAI, at


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("收货地址 ", "收货地址"),
        ("\ufeff订单编号", "订单编号"),
        (" 用户购买手机号", "用户购买手机号"),
        ("\t订单付款时间 \t", "订单付款时间"),
        ("商家备注等级（等级1-5为由高到低）", "商家备注等级(等级1-5为由高到低)"),
        ("下单帐号", "下单账号"),
        ("商品ID", "商品id"),
        ("Order ID", "orderid"),
    ],
)
def test_normalize_header(raw: str, name: str) -> None:
    assert normalize_header(raw) == name


def test_duplicate_and_empty_headers() -> None:
    header = Header.of(1, ["订单号", "分销员", "分销员 ", "分销员", "", ""])
    assert header.names == ("订单号", "分销员", "分销员.1", "分销员.2", "", "")
    assert header.position(("分销员",)) == 1
    assert header.position(("nope", "订单号")) == 0


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ('="35153131473293579"', "35153131473293579"),
        ('=""', ""),
        ("'13925130165", "13925130165"),
        ("\t6917926768823643751", "6917926768823643751"),
        ("168.99\t", "168.99"),
        ("第一行\r\n第二行\t备注", "第一行 第二行 备注"),
        (" ", ""),
        ("\u3000龙井\u3000", "龙井"),
    ],
)
def test_clean_cell(raw: str, clean: str) -> None:
    assert cleaning.clean_cell(raw) == clean


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("201.12", 20112),
        ("598", 59800),
        ("178.8", 17880),
        ("0元", 0),
        ("1,234.00", 123400),
        ("¥12.5", 1250),
        ("￥ 3", 300),
        (".5", 50),
        ("12.345", 1235),
        ("-5.00", -500),
        ("无退款申请", 0),
        ("没有申请退款", 0),
        ("-", 0),
        ("——", 0),
        ("N/A", 0),
        ("", 0),
    ],
)
def test_money_fen(text: str, fen: int) -> None:
    assert cleaning.money_fen(text, "金额") == fen


@pytest.mark.parametrize("text", ["12..3", "abc", "1e5", "NaN", "Infinity", "1.2.3", "--5"])
def test_money_rejects_non_numbers(text: str) -> None:
    with pytest.raises(RowError) as raised:
        cleaning.money_fen(text, "买家实际支付金额")
    assert str(raised.value) == f"amount {text!r} in column 买家实际支付金额 is not a number"


@pytest.mark.parametrize(("text", "count"), [("1", 1), ("2件", 2), ("3.0", 3), ("", 1), ("-", 1)])
def test_quantity(text: str, count: int) -> None:
    assert cleaning.quantity(text, "数量") == count


def test_quantity_rejects() -> None:
    with pytest.raises(RowError, match=r"quantity '1\.5' in column 数量 is not a whole number"):
        cleaning.quantity("1.5", "数量")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "missing order id in column 订单号"),
        ("1.23457E+18", "order id 1.23457E+18 was re-saved by Excel (column 订单号)"),
        ("3.5153131473293E+16", "order id 3.5153131473293E+16 was re-saved by Excel"),
        ("订单 1", "order id '订单 1' in column 订单号 is not an id"),
        ("x" * 65, "is not an id"),
    ],
)
def test_identifier_rejects(text: str, message: str) -> None:
    with pytest.raises(RowError) as raised:
        cleaning.identifier(text, "订单号", "order id")
    assert message in str(raised.value)


@pytest.mark.parametrize("text", ["35153131473293579", "260517-607198974342268", "E2026_1", "1"])
def test_identifier_accepts(text: str) -> None:
    assert cleaning.identifier(text, "订单号", "order id") == text


PHONE = BuyerKeyKind.PHONE
MASKED = BuyerKeyKind.MASKED_PHONE


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("13925130165", BuyerKey(PHONE, "13925130165")),
        ("+86 139 2513 0165", BuyerKey(PHONE, "+8613925130165")),
        ("0571-88888888", BuyerKey(PHONE, "057188888888")),
        ("138****1234", BuyerKey(MASKED, "138****1234")),
        ("186******05", BuyerKey(MASKED, "186******05")),
        ("$$密文", BuyerKey(MASKED, "$$密文")),
        ("##密文", BuyerKey(MASKED, "##密文")),
        (
            "dGhpcyBpcyBhIGxvbmcgY2lwaGVydGV4dA==",
            BuyerKey(MASKED, "dGhpcyBpcyBhIGxvbmcgY2lwaGVydGV4dA=="),
        ),
        ("无", None),
        ("", None),
        ("-", None),
        ("123", None),
    ],
)
def test_phone_key(text: str, key: BuyerKey | None) -> None:
    assert cleaning.phone_key(text) == key


def test_account_key_and_region() -> None:
    assert cleaning.account_key("844677789@qq.com") == BuyerKey(
        BuyerKeyKind.EMAIL, "844677789@qq.com"
    )
    assert cleaning.account_key("139****0000") == BuyerKey(MASKED, "139****0000")
    assert cleaning.account_key("") is None
    assert cleaning.region("吉林省 通化市 柳河县 柳河镇紫御府 201室(135300)") == (
        "吉林省",
        "通化市",
    )
    assert cleaning.region("上海") == ("上海", None)
    assert cleaning.region("") == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-07-08 00:42:32", at("2017-07-08 00:42:32")),
        ("2017-07-08 00:42:32.250000", at("2017-07-08 00:42:32.250000")),
        ("2016/5/23 22:02", at("2016-05-23 22:02")),
        ("2016/5/23 22:02:09", at("2016-05-23 22:02:09")),
        ("2016-5-3 7:02", at("2016-05-03 07:02")),
        ("2017-07-08", at("2017-07-08 00:00")),
        ("2017/7/8", at("2017-07-08 00:00")),
        ("2017年7月8日", at("2017-07-08 00:00")),
        ("2017-07-08T00:42:32+08:00", at("2017-07-08 00:42:32")),
        ("2017-07-07T16:42:32Z", at("2017-07-08 00:42:32")),
        ("1499445752", at("2017-07-08 00:42:32")),
        ("1499445752000", at("2017-07-08 00:42:32")),
        ("42924", at("2017-07-08 00:00")),
        ("42924.5", at("2017-07-08 12:00")),
        ("-", None),
        ("", None),
    ],
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text, "时间", SHANGHAI) == expected


def test_parse_datetime_other_zone() -> None:
    moment = parse_datetime("2017-07-08 00:42:32", "t", ZoneInfo("UTC"))
    assert moment == datetime(2017, 7, 8, 0, 42, 32, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2020-13-01", "2020/2/30 10:00", "yesterday", "2020-01-01 25:00", "12345678", "99999"]
)
def test_parse_datetime_rejects(text: str) -> None:
    with pytest.raises(RowError, match=f"date '{text}' in column 订单创建时间 is not a date"):
        parse_datetime(text, "订单创建时间", SHANGHAI)


def test_pdd_order_number_date() -> None:
    assert date_from_pdd_order_id("260517-607198974342268") == at("2026-05-17 00:00")
    assert date_from_pdd_order_id("261317-607198974342268") is None
    assert date_from_pdd_order_id("607198974342268") is None
