"""Every generated file goes through the real importers without a reject, and what they read
agrees with the manifest's ground truth."""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from siyu.demo import DemoFile, DemoManifest
from siyu.ingest.formats import ORDER_FORMATS, parse_events
from siyu.ingest.formats.wecom import parse_contacts, parse_groups
from siyu.ingest.records import (
    BuyerKeyKind,
    ContactRecord,
    EventRecord,
    Grain,
    GroupRecord,
    OrderRecord,
    RejectedRow,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse_orders(file: DemoFile) -> list[OrderRecord]:
    rows = list(ORDER_FORMATS[file.format](file.path, tz=SHANGHAI))
    rejected = [row for row in rows if isinstance(row, RejectedRow)]
    assert rejected == [], file.path.name
    records = [row for row in rows if isinstance(row, OrderRecord)]
    assert len(records) == file.rows, file.path.name
    assert [r.warnings for r in records if r.warnings] == [], file.path.name
    return records


@pytest.fixture(scope="module")
def parsed(full_demo: DemoManifest) -> dict[DemoFile, list[OrderRecord]]:
    return {file: parse_orders(file) for file in full_demo.files if file.format in ORDER_FORMATS}


def test_every_order_file_parses_without_rejects_or_warnings(
    full_demo: DemoManifest, parsed: dict[DemoFile, list[OrderRecord]]
) -> None:
    formats = {file.format for file in parsed}
    assert formats == {"taobao", "jd", "pdd", "douyin", "orders-csv"}


def test_order_counts_per_shop_equal_the_manifest(
    full_demo: DemoManifest, parsed: dict[DemoFile, list[OrderRecord]]
) -> None:
    ids: dict[str, set[str]] = defaultdict(set)
    for file, records in parsed.items():
        assert {r.shop_name for r in records} <= {file.shop_name, None}
        ids[str(file.platform)].update(record.order_id for record in records)

    assert {platform: len(found) for platform, found in ids.items()} == {
        shop.platform: shop.orders for shop in full_demo.shops
    }


def test_paid_orders_and_amounts_equal_the_manifest(
    full_demo: DemoManifest, parsed: dict[DemoFile, list[OrderRecord]]
) -> None:
    for file, records in parsed.items():
        if "Detail" in file.path.name:
            continue  # Taobao's item file carries no postage: the order file has the totals
        shop = full_demo.shop(str(file.platform))
        paid: dict[str, int] = defaultdict(int)
        refunded: dict[str, int] = defaultdict(int)
        for record in records:
            if record.paid_at is None:
                continue
            if record.grain is Grain.ORDER:
                paid[record.order_id] = record.paid_fen
                refunded[record.order_id] = record.refunded_fen
            else:
                paid[record.order_id] += record.paid_fen
                refunded[record.order_id] += record.refunded_fen
        assert (len(paid), sum(paid.values())) == (shop.paid_orders, shop.paid_fen), shop.platform
        if shop.platform != "jd":  # JD's layout has no refund amount
            assert sum(refunded.values()) == shop.refunded_fen, shop.platform


def test_real_phones_are_the_only_phone_keys_and_link_shops_as_expected(
    full_demo: DemoManifest, parsed: dict[DemoFile, list[OrderRecord]]
) -> None:
    shops_of_phone: dict[str, set[str]] = defaultdict(set)
    masked = 0
    for file, records in parsed.items():
        for record in records:
            for key in record.buyer.keys:
                if key.kind is BuyerKeyKind.PHONE:
                    shops_of_phone[key.value].add(str(file.platform))
                masked += key.kind is BuyerKeyKind.MASKED_PHONE

    assert len(shops_of_phone) == full_demo.truth.distinct_real_phones
    linked = sum(len(shops) >= 2 for shops in shops_of_phone.values())
    assert linked == full_demo.truth.phone_linked_multi_shop_buyers
    assert masked > 0


def test_events_parse_without_rejects(full_demo: DemoManifest) -> None:
    [file] = full_demo.files_of("events")

    rows = list(parse_events(file.path, tz=SHANGHAI))

    assert [row for row in rows if isinstance(row, RejectedRow)] == []
    assert len(rows) == full_demo.truth.events
    assert all(isinstance(row, EventRecord) and row.buyer.keys for row in rows)


def test_wecom_files_parse_without_rejects(full_demo: DemoManifest) -> None:
    [contacts_file] = full_demo.files_of("wecom-contacts")
    [groups_file] = full_demo.files_of("wecom-groups")

    contacts = list(parse_contacts([contacts_file.path], tz=SHANGHAI))
    groups = list(parse_groups([groups_file.path], tz=SHANGHAI))

    assert all(isinstance(row, ContactRecord) for row in contacts)
    assert len(contacts) == full_demo.truth.wecom_contacts
    assert all(isinstance(row, GroupRecord) for row in groups)
    members = sum(
        member.member_type == 2
        for group in groups
        if isinstance(group, GroupRecord)
        for member in group.members
    )
    assert members == full_demo.truth.group_customer_members
