"""Property tests: malformed input never escapes as an exception; money and dates round-trip."""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu.ingest.formats import ORDER_FORMATS, parse_events
from siyu.ingest.formats.cleaning import money_fen
from siyu.ingest.formats.dates import EXCEL_EPOCH, parse_datetime
from siyu.ingest.records import EventRecord, Grain, OrderRecord, RejectedRow

from .support import SHANGHAI

# One valid row per format ("|"-separated); properties overwrite random cells of it, or replace
# whole rows with random cells.
TEMPLATE_TEXT = {
    "taobao": (
        "订单编号|买家会员名|买家支付宝账号|买家实际支付金额|总金额|买家应付邮费|订单状态|联系手机"
        "|收货地址 |订单创建时间|订单付款时间 |退款金额|店铺名称",
        '="35153131473293579"|tb1|a@b.cn|201.12|201.12|0.00|交易成功|\'13925130165'
        "|广东省 广州市 越秀区 x(510180)|2017-07-08 00:42:32|2017-07-08 00:42:39|0.00|店",
    ),
    "taobao-lines": (
        "子订单编号|主订单编号|标题|价格|购买数量|订单状态|买家实际支付金额|退款状态|退款金额"
        "|订单创建时间|订单付款时间",
        '="2"|="1"|锅|239.00|1|交易成功|239.00|没有申请退款|无退款申请'
        "|2017-07-08 00:42:32|2017-07-08 00:42:39",
    ),
    "jd": (
        "订单号|商品ID|商品名称|订购数量|下单时间|京东价|订单金额|结算金额|订单状态|下单帐号"
        "|联系电话|运费金额|付款确认时间|订单完成时间",
        "11729384072|1953814331|套装|1|2015-12-31 23:19:56|758.00|1097.00|932.45"
        "|(删除)等待出库|rds3199358|13767111772|0.00|2015-12-31 23:20:30|",
    ),
    "pdd": (
        "商品|订单号|订单状态|商品数量(件)|支付时间|发货时间|确认收货时间|商品id|样式ID|售后状态"
        "|订单成交时间|商品总价(元)|邮费(元)|用户实付金额(元)| 用户购买手机号",
        "脐橙|260517-607198974342268|已发货，待签收|1\t|2026-06-06 13:41:05|||123|987"
        "|无售后或售后取消|2026-06-06 13:41:00|39.90\t|0.00|168.99\t|\t",
    ),
    "douyin": (
        "主订单编号|子订单编号|选购商品|商品数量|商品ID|商品单价|订单应付金额|运费|收件人"
        "|收件人手机号|订单提交时间|支付完成时间|订单完成时间|订单状态|售后状态",
        "\t6917926768823643751|\t6917926768823643751|\t辣丝丝|1|\t300400008|28.90|21.00"
        "|0.00|##密文|$$密文|2026-09-22 00:54:10|2026-09-22 08:53:45|-|已完成|退款成功",
    ),
    "youzan": (
        "订单号|订单状态|订单创建时间|买家付款时间|交易成功时间|商品金额合计|运费|订单实付金额"
        "|订单退款状态|订单已退款金额|买家昵称|买家手机号|收货人手机号/提货人手机号|优惠券码名称"
        "|分销员|分销员",
        "E2026|交易成功|2026-06-20 10:00:00|2026-06-20 10:00:20|——|128.00|0.00|118.00|——| "
        "|茶友|186******05|13900139000|NEW10|甲|乙",
    ),
    "orders-csv": (
        "order_id|customer_id|phone|ordered_at|amount|status|paid_at|refund_amount|sku|product"
        "|quantity|unit_price|email|unionid|openid|buyer_id|platform",
        "A1|C1|13800138000|2026-06-01 10:00:00|59.80|completed|||SKU-1|Tea|2|29.90|a@b.cn|u1|o1||",
    ),
    "events": (
        "event_type|customer_id|phone|buyer_id|platform|item|occurred_at",
        "浏览|C1||tb1|taobao|龙井|2026-06-01 10:00:00",
    ),
}
TEMPLATES = {
    name: (header.split("|"), row.split("|")) for name, (header, row) in TEMPLATE_TEXT.items()
}
assert all(len(header) == len(row) for header, row in TEMPLATES.values())

NASTY = st.sampled_from(
    [
        *("", " ", "-", "——", "N/A", "无退款申请", "12..3", "1,2,3", "-5", "1e5", "NaN"),
        *("Infinity", "¥", "元", "1.23457E+18", '="123"', '="', "'", "'138****1234"),
        *("\t69179267688236437529", "$$密文", "##", "2020-13-01", "2020/2/30 25:61"),
        *("2016/5/23 22:02", "43881.5", "99999", "99999999999", "1718000000", "9999999999999"),
        *("0", "合计", "总计", "#", "(删除)等待出库", "已发货，退款成功", "交易成功", "退款成功"),
        *("9" * 400, "0.000001", "-0", "1" * 20, "260517-607198974342268"),
        *("2026-06-01T10:00:00+14:00", "0001-01-01T00:00:00+01:00"),
    ]
)
CELL = st.one_of(
    NASTY,
    st.text(max_size=12),
    st.from_regex(r"-?[0-9,]{0,8}(\.[0-9]{0,4})?元?", fullmatch=True),
    st.datetimes().map(str),
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parser_for(name: str) -> Callable[[Path], Iterator[object]]:
    if name == "events":
        return lambda path: iter(parse_events(path, tz=SHANGHAI))
    parse = ORDER_FORMATS["taobao" if name == "taobao-lines" else name]
    return lambda path: iter(parse(path, tz=SHANGHAI))


def parse_rows(name: str, rows: list[list[str]]) -> list[object]:
    header, _ = TEMPLATES[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            csv.writer(stream).writerows([header, *rows])
        return list(parser_for(name)(path))


def check_items(items: list[object]) -> None:
    for item in items:
        if isinstance(item, RejectedRow):
            assert item.reason.strip()
            assert item.line_no >= 1
        elif isinstance(item, OrderRecord):
            assert item.order_id
            assert item.ordered_at.tzinfo is not None
            assert item.paid_fen >= 0
            assert item.refunded_fen >= 0
            assert item.line is not None or item.grain is Grain.ORDER
        else:
            assert isinstance(item, EventRecord)
            assert item.occurred_at.tzinfo is not None
            assert item.buyer.keys


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@SETTINGS
@given(data=st.data())
def test_mutated_rows_never_raise(name: str, data: st.DataObject) -> None:
    _, template = TEMPLATES[name]
    rows = []
    for _ in range(data.draw(st.integers(1, 4))):
        changes = data.draw(st.dictionaries(st.integers(0, len(template) + 1), CELL, max_size=4))
        row = [*template, "", ""]
        for position, value in changes.items():
            row[position] = value
        rows.append(row[: data.draw(st.integers(0, len(row)))])
    items = parse_rows(name, rows)
    check_items(items)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@SETTINGS
@given(rows=st.lists(st.lists(CELL, max_size=18), max_size=5))
def test_random_rows_never_raise(name: str, rows: list[list[str]]) -> None:
    check_items(parse_rows(name, rows))


@SETTINGS
@given(lines=st.lists(st.one_of(st.text(max_size=30), st.dictionaries(st.text(max_size=8), CELL))))
def test_json_lines_never_raise(lines: list[str | dict[str, str]]) -> None:
    text = "\n".join(json.dumps(line) if isinstance(line, dict) else line for line in lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_text(text, encoding="utf-8")
        check_items(list(parse_events(path, tz=SHANGHAI)))


AMOUNTS = st.decimals(min_value=-(10**9), max_value=10**9, places=2)


@given(amount=AMOUNTS, form=st.sampled_from(["{:f}", "{:,.2f}", "{:f}元", "¥{:f}", "{:.1f}"]))
def test_money_round_trips(amount: Decimal, form: str) -> None:
    text = form.format(amount)
    expected = Decimal(text.strip("¥元").replace(",", "")) * 100
    assert money_fen(text, "金额") == int(expected)
    if form != "{:.1f}":
        assert money_fen(text, "金额") == int(amount * 100)


MOMENTS = st.datetimes(min_value=datetime(2002, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)


def forms(moment: datetime) -> list[tuple[str, datetime]]:
    aware = moment.replace(tzinfo=SHANGHAI)
    minute = aware.replace(second=0)
    midnight = aware.replace(hour=0, minute=0, second=0)
    m = moment
    serial = Decimal(int((moment - EXCEL_EPOCH).total_seconds())) / 86400
    elsewhere = aware.astimezone(timezone(timedelta(hours=-5, minutes=-30)))
    return [
        (f"{m:%Y-%m-%d %H:%M:%S}", aware),
        (f"{m.year}/{m.month}/{m.day} {m.hour}:{m.minute:02d}", minute),
        (f"{m.year}/{m.month}/{m.day} {m.hour}:{m.minute:02d}:{m.second:02d}", aware),
        (f"{m:%Y-%m-%d}", midnight),
        (f"{m.year}/{m.month}/{m.day}", midnight),
        (f"{m.year}年{m.month}月{m.day}日", midnight),
        (str(int(aware.timestamp())), aware),
        (f"{serial:.9f}", aware),
        (elsewhere.isoformat(), aware),
        (aware.astimezone(UTC).isoformat().replace("+00:00", "Z"), aware),
    ]


@given(moment=MOMENTS)
def test_dates_round_trip(moment: datetime) -> None:
    for text, expected in forms(moment):
        parsed = parse_datetime(text, "时间", SHANGHAI)
        assert parsed == expected, text
        assert parsed is not None, text
        assert parsed.utcoffset() == timedelta(hours=8), text
