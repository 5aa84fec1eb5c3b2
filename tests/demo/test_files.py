"""The generated files look like the platforms' own exports: encodings, headers and quirks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from siyu.demo import DemoManifest
from tests.demo.support import BOM, GBK_FORMATS, one, rows_of, text_of

BOM_FORMATS = ("pdd", "douyin")
ORDERS_CSV_HEADER = [
    "order_id", "customer_id", "phone", "unionid", "ordered_at", "amount", "status", "paid_at",
    "refund_amount", "sku", "product", "category", "quantity", "unit_price", "shop", "platform",
]  # fmt: skip
EVENTS_HEADER = [
    "customer_id", "phone", "unionid", "event_type", "item", "category", "occurred_at",
    "platform", "shop",
]  # fmt: skip


def test_files_come_in_import_order_with_shop_and_platform(small_demo: DemoManifest) -> None:
    assert [(f.format, f.shop_name, f.platform) for f in small_demo.files] == [
        ("taobao", "安肌官方旗舰店", "tmall"),
        ("taobao", "安肌官方旗舰店", "tmall"),
        ("jd", "安肌京东旗舰店", "jd"),
        ("pdd", "安肌拼多多官方旗舰店", "pdd"),
        ("douyin", "安肌抖音官方旗舰店", "douyin"),
        ("orders-csv", "安肌官方商城小程序", "mini_program"),
        ("events", "安肌官方商城小程序", "mini_program"),
        ("wecom-contacts", None, None),
        ("wecom-groups", None, None),
    ]
    assert [f.path.name for f in small_demo.files_of("taobao")] == [
        "ExportOrderList202507010930.csv",
        "ExportOrderDetailList202507010930.csv",
    ]
    assert all(f.path.is_file() for f in small_demo.files)


@pytest.mark.parametrize("format_name", GBK_FORMATS)
def test_tmall_and_jd_are_gbk_without_bom(small_demo: DemoManifest, format_name: str) -> None:
    for file in small_demo.files_of(format_name):
        data = file.path.read_bytes()
        assert not data.startswith(BOM)
        data.decode("gbk")  # strict
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


@pytest.mark.parametrize("format_name", BOM_FORMATS)
def test_pdd_and_douyin_are_utf8_with_bom(small_demo: DemoManifest, format_name: str) -> None:
    [file] = small_demo.files_of(format_name)
    data = file.path.read_bytes()
    assert data.startswith(BOM)
    data.decode("utf-8")


@pytest.mark.parametrize("format_name", ["orders-csv", "events"])
def test_own_formats_are_plain_utf8(small_demo: DemoManifest, format_name: str) -> None:
    [file] = small_demo.files_of(format_name)
    data = file.path.read_bytes()
    assert not data.startswith(BOM)
    data.decode("utf-8")


def formats_md_block(text: str, marker: str) -> list[str]:
    start = text.index("```", text.index(marker)) + 3
    block = text[start : text.index("```", start)]
    return [name.strip().replace("␠", " ") for name in block.replace("\n", " ").split(",")]


def formats_md_layouts(shared: Path) -> dict[str, list[str]]:
    text = (shared / "FORMATS.md").read_text(encoding="utf-8")
    detail = re.search(r"~2019 Tmall \[S\]: `([^`]*)`", text)
    assert detail is not None
    table = text[text.index("**2015 layout, 30 columns**") :]
    table = table[: table.index("**Later additions**")]
    return {
        "ExportOrderList": formats_md_block(text, "**C. ExportOrderList, ~2019–2020 layout"),
        "ExportOrderDetailList": [
            name.strip() for name in detail.group(1).split(",") if name.strip() != "…"
        ],
        "jd": re.findall(r"^\| \d+ \| ([^|]+?) \|", table, flags=re.MULTILINE),
        "pdd": formats_md_block(text, "**Column order, 2023-10**"),
        "douyin": formats_md_block(text, "**Column order** [S]. It comes from an ORM"),
    }


@pytest.mark.shared
def test_headers_are_exactly_the_formats_md_layouts(
    small_demo: DemoManifest, shared_dir: Path
) -> None:
    layouts = formats_md_layouts(shared_dir)
    assert [len(layouts[name]) for name in layouts] == [61, 18, 30, 82, 65]
    headers = {
        "ExportOrderList": one(small_demo, "taobao", "ExportOrderList2"),
        "ExportOrderDetailList": one(small_demo, "taobao", "Detail"),
        "jd": one(small_demo, "jd"),
        "pdd": one(small_demo, "pdd"),
        "douyin": one(small_demo, "douyin"),
    }
    for name, file in headers.items():
        assert rows_of(file)[0] == layouts[name], name


def test_own_formats_have_the_documented_columns(small_demo: DemoManifest) -> None:
    assert rows_of(one(small_demo, "orders-csv"))[0] == ORDERS_CSV_HEADER
    assert rows_of(one(small_demo, "events"))[0] == EVENTS_HEADER


def test_every_row_has_as_many_cells_as_the_header(small_demo: DemoManifest) -> None:
    for file in small_demo.files:
        if file.format.startswith("wecom"):
            continue
        rows = rows_of(file)
        assert {len(row) for row in rows} == {len(rows[0])}, file.path.name
        assert len(rows) - 1 == file.rows, file.path.name


def test_tmall_cells_carry_the_taobao_protections(small_demo: DemoManifest) -> None:
    file = one(small_demo, "taobao", "ExportOrderList2")
    raw_row = text_of(file).split("\r\n")[1]
    assert re.match(r'^="\d{18}","', raw_row)
    rows = rows_of(file)
    header = rows[0]
    phones = [row[header.index("联系手机")] for row in rows[1:]]
    assert any(re.fullmatch(r"'1\d{10}", phone) for phone in phones)
    assert any(re.fullmatch(r"1\d\d\*{4}\d{4}", phone) for phone in phones)
    assert all(re.fullmatch(r"'1\d{10}|1\d\d\*{4}\d{4}", phone) for phone in phones)
    addresses = [row[header.index("收货地址 ")] for row in rows[1:]]
    assert all(re.fullmatch(r"\S+ \S+ \S+ \S+\(\d{6}\)", address) for address in addresses)


def test_jd_is_one_row_per_sku_with_order_amounts_repeated(small_demo: DemoManifest) -> None:
    rows = rows_of(one(small_demo, "jd"))
    header, body = rows[0], rows[1:]
    by_order: dict[str, set[tuple[str, str]]] = {}
    for row in body:
        amounts = (row[header.index("订单金额")], row[header.index("应付金额")])
        by_order.setdefault(row[header.index("订单号")], set()).add(amounts)
    assert len(by_order) < len(body)  # some orders have several SKUs
    assert all(len(amounts) == 1 for amounts in by_order.values())
    phones = [row[header.index("联系电话")] for row in body]
    assert any("*" in phone for phone in phones)
    assert any(re.fullmatch(r"1\d{10}", phone) for phone in phones)
    assert all(row[header.index("下单帐号")] for row in body)


def test_pdd_numbers_end_with_a_tab_and_the_phone_is_empty(small_demo: DemoManifest) -> None:
    rows = rows_of(one(small_demo, "pdd"))
    header, body = rows[0], rows[1:]
    for name in ("商品数量(件)", "商品总价(元)", "用户实付金额(元)", "商家实收金额(元)"):
        assert all(row[header.index(name)].endswith("\t") for row in body), name
    assert {row[header.index("用户购买手机号")] for row in body} == {"\t"}
    assert all(re.fullmatch(r"\d{6}-\d{15}", row[header.index("订单号")]) for row in body)


def test_douyin_ids_are_tab_prefixed_phones_are_ciphertext_gifts_are_free(
    small_demo: DemoManifest,
) -> None:
    rows = rows_of(one(small_demo, "douyin"))
    header, body = rows[0], rows[1:]
    assert all(re.fullmatch(r"\t69\d{17}", row[header.index("主订单编号")]) for row in body)
    assert all(row[header.index("收件人手机号")].startswith("$$") for row in body)
    assert all(row[header.index("收件人")].startswith("##") for row in body)
    gifts = [row for row in body if "【赠品】" in row[header.index("选购商品")]]
    assert gifts
    assert {row[header.index("商品单价")] for row in gifts} == {"0.00"}
    assert {row[header.index("订单应付金额")] for row in gifts} == {"0.00"}
    gift_orders = {row[header.index("主订单编号")] for row in gifts}
    sub_orders = {
        row[header.index("子订单编号")]
        for row in body
        if row[header.index("主订单编号")] in gift_orders
    }
    assert len(sub_orders) > len(gift_orders)  # a gift is its own sub-order


def test_wecom_contacts_are_get_by_user_pages_of_at_most_100(small_demo: DemoManifest) -> None:
    [file] = small_demo.files_of("wecom-contacts")
    pages = [json.loads(line) for line in file.path.read_text(encoding="utf-8").splitlines()]
    assert all(page["errcode"] == 0 and page["errmsg"] == "ok" for page in pages)
    assert all(1 <= len(page["external_contact_list"]) <= 100 for page in pages)
    assert [bool(page["next_cursor"]) for page in pages] == [True] * (len(pages) - 1) + [False]
    contacts = [entry for page in pages for entry in page["external_contact_list"]]
    states = {entry["follow_info"].get("state") for entry in contacts}
    assert {"pkgcard_tmall", "pkgcard_jd", "miniapp"} <= states
    assert {entry["follow_info"]["userid"] for entry in contacts} == {
        "AnJi_XiaoAn",
        "AnJi_XiaoJi",
        "AnJi_XiaoMei",
    }
    assert all(entry["external_contact"]["unionid"].startswith("o") for entry in contacts)
    assert any(entry["follow_info"]["remark_mobiles"] for entry in contacts)


def test_wecom_groups_are_groupchat_get_responses(small_demo: DemoManifest) -> None:
    [file] = small_demo.files_of("wecom-groups")
    responses = json.loads(file.path.read_text(encoding="utf-8"))
    assert len(responses) >= 3
    for response in responses:
        chat = response["group_chat"]
        assert response["errcode"] == 0
        assert chat["owner"] == chat["member_list"][0]["userid"]
        assert len(chat["member_list"]) <= 500
        customers = [m for m in chat["member_list"] if m["type"] == 2]
        assert all(m["userid"].startswith("wm") and m["unionid"] for m in customers)
        assert all(m["join_time"] >= chat["create_time"] for m in chat["member_list"])
