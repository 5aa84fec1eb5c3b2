"""The manifest's ground truth agrees with itself and with what the files show."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from siyu.demo import DemoManifest
from tests.demo.support import one, rows_of

REAL_PHONE = re.compile(r"'?(1\d{10})")


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def test_counts_add_up(small_demo: DemoManifest) -> None:
    truth, shops = small_demo.truth, small_demo.shops

    assert truth.persons == small_demo.customers == truth.buyers + truth.prospects
    assert truth.prospects == round(0.15 * truth.persons)
    assert sum(shop.orders for shop in shops) == truth.orders
    assert sum(shop.lines for shop in shops) == truth.order_lines
    assert all(sum(shop.statuses.values()) == shop.orders for shop in shops)
    assert sum(shop.buyers for shop in shops) - truth.buyers >= truth.multi_shop_buyers > 0
    assert truth.phone_linked_multi_shop_buyers <= truth.multi_shop_buyers < truth.buyers
    assert truth.wecom_customers == truth.wecom_buyers + truth.wecom_prospects
    assert truth.wecom_customers <= truth.wecom_contacts
    assert truth.prospects_with_events == truth.prospects


def test_file_rows_match_the_shop_truth(small_demo: DemoManifest) -> None:
    tmall = small_demo.shop("tmall")
    orders_file, detail_file = small_demo.files_of("taobao")
    assert (orders_file.rows, detail_file.rows) == (tmall.orders, tmall.lines)
    for platform in ("jd", "douyin", "mini_program"):
        [file] = [f for f in small_demo.files if f.platform == platform and f.format != "events"]
        assert file.rows == small_demo.shop(platform).lines
    assert small_demo.files_of("pdd")[0].rows == small_demo.shop("pdd").orders
    assert small_demo.shop("pdd").orders == small_demo.shop("pdd").lines  # one item an order


def test_distinct_order_ids_per_file_match_the_truth(small_demo: DemoManifest) -> None:
    id_columns = {"taobao": "订单编号", "jd": "订单号", "pdd": "订单号", "douyin": "主订单编号"}
    for format_name, name in id_columns.items():
        file = small_demo.files_of(format_name)[0]
        ids = {value.strip('="\t') for value in column(rows_of(file), name)}
        assert len(ids) == small_demo.shop(str(file.platform)).orders, format_name
    ids = set(column(rows_of(one(small_demo, "orders-csv")), "order_id"))
    assert len(ids) == small_demo.shop("mini_program").orders


def test_real_phones_in_the_files_are_the_truth(small_demo: DemoManifest) -> None:
    """Unmasked phones only: masked, ciphertext and empty ones must never link people."""
    phone_columns = {"taobao": "联系手机", "jd": "联系电话", "orders-csv": "phone"}
    shops_of_phone: dict[str, set[str]] = defaultdict(set)
    for format_name, name in phone_columns.items():
        file = small_demo.files_of(format_name)[0]
        for value in column(rows_of(file), name):
            matched = REAL_PHONE.fullmatch(value)
            if matched:
                shops_of_phone[matched.group(1)].add(format_name)

    assert len(shops_of_phone) == small_demo.truth.distinct_real_phones
    linked = sum(len(shops) >= 2 for shops in shops_of_phone.values())
    assert linked == small_demo.truth.phone_linked_multi_shop_buyers
    assert linked > 0


def test_wecom_truth_matches_the_pages(small_demo: DemoManifest) -> None:
    [file] = small_demo.files_of("wecom-contacts")
    pages = [json.loads(line) for line in file.path.read_text(encoding="utf-8").splitlines()]
    contacts = [entry for page in pages for entry in page["external_contact_list"]]
    removed_tag = "etAnJiDemoLost0DeletedGuide000E"
    removed = [c for c in contacts if removed_tag in c["follow_info"]["tag_id"]]
    callbacks = small_demo.callbacks.read_text(encoding="utf-8").splitlines()
    truth = small_demo.truth

    assert len(contacts) == truth.wecom_contacts == file.rows
    assert len({c["external_contact"]["external_userid"] for c in contacts}) == (
        truth.wecom_customers
    )
    assert len(removed) == len(callbacks) == truth.wecom_removed > 0
    assert {json.loads(line)["ChangeType"] for line in callbacks} == {"del_follow_user"}


def test_group_truth_matches_the_responses(small_demo: DemoManifest) -> None:
    [file] = small_demo.files_of("wecom-groups")
    responses = json.loads(file.path.read_text(encoding="utf-8"))
    customers = [
        member
        for response in responses
        for member in response["group_chat"]["member_list"]
        if member["type"] == 2
    ]

    assert len(responses) == small_demo.truth.groups == file.rows
    assert len(customers) == small_demo.truth.group_customer_members


def test_events_truth_matches_the_file(small_demo: DemoManifest) -> None:
    rows = rows_of(one(small_demo, "events"))

    assert len(rows) - 1 == small_demo.truth.events
    assert len(set(column(rows, "unionid"))) == small_demo.truth.event_persons
    assert set(column(rows, "event_type")) == {
        "search",
        "view",
        "follow",
        "favourite",
        "cart",
        "share",
    }
