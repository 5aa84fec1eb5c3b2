"""OneID through imports: one customer per person, explainable, reversible."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from siyu.accounts.tables import WecomContact
from siyu.commerce.tables import Order
from siyu.customers.attributes import set_attributes
from siyu.customers.merge import do_unmerge
from siyu.customers.queries import get_customer
from siyu.customers.tables import Customer, CustomerMerge
from siyu.db.engine import transaction
from siyu.engage.governor.consent import set_consent
from siyu.engage.journeys.tables import CustomerAttribute
from siyu.engage.tables import Consent
from siyu.ingest.service import ImportOptions, import_file
from siyu.segments.tables import CustomerTag, Tag
from siyu.segments.tags import add_tag, ensure_group, ensure_tag
from tests.snapshot import snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = "order_id,customer_id,phone,unionid,ordered_at,amount,shop\n"


def load(engine: Engine, tmp_path: Path, name: str, rows: list[str], fmt: str = "orders-csv"):
    path = tmp_path / name
    text = HEADER + "".join(rows) if fmt == "orders-csv" else "".join(rows)
    path.write_text(text, encoding="utf-8")
    options = ImportOptions(fmt, rejects_dir=tmp_path / "rejects")
    return import_file(engine, path, options, timezone=SHANGHAI)


def owner(engine: Engine, order_id: str) -> int:
    with transaction(engine) as session:
        found = session.scalar(select(Order.customer_id).where(Order.platform_order_id == order_id))
    assert found is not None
    return found


def test_a_bridging_record_merges_and_is_explained(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path, "a.csv", [
        "T1,,13800138000,,2026-01-01,10,Tmall\n",
        "M1,,,oUNION1,2026-01-02,20,Mini\n",
    ])  # fmt: skip
    first, second = owner(engine, "T1"), owner(engine, "M1")
    assert first != second
    result = load(engine, tmp_path, "b.csv", ["M2,,13800138000,oUNION1,2026-02-01,30,Mini\n"])
    assert result.merges == 1
    assert owner(engine, "T1") == owner(engine, "M1") == owner(engine, "M2") == first

    with transaction(engine) as session:  # the oldest customer is kept
        view = get_customer(session, first)
        merged = session.get_one(Customer, second)
    assert merged.merged_into_id == first
    assert view.orders == 3
    assert view.net_revenue_fen == 6000
    links = {(i.kind, i.value): (i.linked_by, i.source) for i in view.identities}
    assert links[("unionid", "oUNION1")] == ("new customer", "a.csv:3")
    assert links[("phone", "+8613800138000")] == ("new customer", "a.csv:2")
    [merge] = view.merges
    assert merge.reason == "unionid:oUNION1 + phone:+8613800138000"
    assert merge.source == "b.csv:2"


def test_merge_then_unmerge_returns_to_the_starting_state(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path, "a.csv", [
        "T1,,13800138000,,2026-01-01,10,Tmall\n",
        "M1,,,oUNION1,2026-01-02,20,Mini\n",
    ])  # fmt: skip
    bookkeeping = ("import_runs", "import_rejects", "customer_merges")
    before = snapshot(engine, skip=bookkeeping)
    tmall_buyer, mini_buyer = owner(engine, "T1"), owner(engine, "M1")

    bridge = ["B1,,13800138000,oUNION1,2026-02-01,30,Mini\n"]
    load(engine, tmp_path, "b.csv", bridge)
    assert owner(engine, "M1") == tmall_buyer
    with transaction(engine) as session:
        do_unmerge(session, merged_id=mini_buyer)
        # the bridging order is new data, not part of the merge: remove it to compare
        session.execute(Order.__table__.delete().where(Order.platform_order_id == "B1"))
    after = snapshot(engine, skip=bookkeeping)
    assert after == before

    again = load(engine, tmp_path, "c.csv", bridge)  # OneID keeps the separated pair apart
    assert again.merges == 0
    assert (owner(engine, "T1"), owner(engine, "M1")) == (tmall_buyer, mini_buyer)


def consents_of(engine: Engine, customer_id: int) -> dict[tuple[str, str], tuple[bool, str]]:
    with transaction(engine) as session:
        rows = session.scalars(select(Consent).where(Consent.customer_id == customer_id))
        return {(row.channel, row.purpose): (row.granted, row.source) for row in rows}


def test_consent_and_attributes_follow_the_person_and_an_opt_out_survives_the_merge(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path, "a.csv", [
        "T1,,13800138000,,2026-01-01,10,Tmall\n",
        "M1,,,oUNION1,2026-01-02,20,Mini\n",
    ])  # fmt: skip
    kept, merged = owner(engine, "T1"), owner(engine, "M1")
    statements = [  # (customer, channel, purpose, granted, source, day)
        (kept, "sms", "marketing", True, "checkout box", 1),
        (merged, "sms", "marketing", False, "replied TD", 5),  # later: the person's wish
        (kept, "email", "marketing", False, "unsubscribe link", 6),
        (merged, "email", "marketing", True, "old form", 2),  # earlier: the refusal holds
        (merged, "wecom", "marketing", True, "welcome", 3),  # only the merged one: moves
    ]
    with transaction(engine) as session:
        for customer, channel, purpose, granted, source, day in statements:
            at = datetime(2026, 1, day, tzinfo=UTC)
            set_consent(session, customer_id=customer, channel=channel, purpose=purpose,
                        granted=granted, source=source, at=at)  # fmt: skip
        set_attributes(session, kept, {"birthday": "05-01"}, now=at)
        set_attributes(session, merged, {"birthday": "06-01", "city": "杭州"}, now=at)
    before = snapshot(engine, skip=("import_runs", "import_rejects", "customer_merges"))

    load(engine, tmp_path, "b.csv", ["B1,,13800138000,oUNION1,2026-02-01,30,Mini\n"])
    assert owner(engine, "M1") == kept
    with transaction(engine) as session:
        held = session.execute(select(CustomerAttribute.customer_id, CustomerAttribute.name,
                                      CustomerAttribute.value)).all()  # fmt: skip
    assert sorted(held) == sorted(
        [(kept, "birthday", "05-01"), (kept, "city", "杭州"), (merged, "birthday", "06-01")]
    )
    assert consents_of(engine, kept) == {
        ("sms", "marketing"): (False, "replied TD"),
        ("email", "marketing"): (False, "unsubscribe link"),
        ("wecom", "marketing"): (True, "welcome"),
    }

    with transaction(engine) as session:
        do_unmerge(session, merged_id=merged)
        session.execute(Order.__table__.delete().where(Order.platform_order_id == "B1"))
    assert snapshot(engine, skip=("import_runs", "import_rejects", "customer_merges")) == before


def test_an_exclusive_tag_group_keeps_one_tag_through_a_merge(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path, "a.csv", [
        "T1,,13800138000,,2026-01-01,10,Tmall\n",
        "M1,,,oUNION1,2026-01-02,20,Mini\n",
    ])  # fmt: skip
    kept, merged = owner(engine, "T1"), owner(engine, "M1")
    now = datetime(2026, 1, 10, tzinfo=UTC)
    with transaction(engine) as session:
        ensure_group(session, "肤质", exclusive=True)
        given = [(kept, "干皮", "肤质"), (merged, "油皮", "肤质"), (merged, "敏感肌", None)]
        for customer, name, group in given:
            tag = ensure_tag(session, name=name, group=group)
            chosen = select(Customer.id).where(Customer.id == customer)
            add_tag(session, tag=tag, customers=chosen, source="manual", now=now)

    load(engine, tmp_path, "b.csv", ["B1,,13800138000,oUNION1,2026-02-01,30,Mini\n"])
    with transaction(engine) as session:
        names = session.scalars(
            select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
            .where(CustomerTag.customer_id == kept).order_by(Tag.name)
        ).all()  # fmt: skip
        left_behind = session.scalars(
            select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
            .where(CustomerTag.customer_id == merged)
        ).all()  # fmt: skip
    assert sorted(names) == sorted(["干皮", "敏感肌"])
    assert left_behind == ["油皮"]


def test_unmerge_of_a_customer_never_merged_is_a_clear_error(engine: Engine) -> None:
    from siyu.errors import NotFoundError

    with pytest.raises(NotFoundError, match="was not merged"), transaction(engine) as session:
        do_unmerge(session, merged_id=12345)


def test_wecom_contacts_join_buyers_by_remark_phone_and_unionid(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path, "orders.csv", [
        "T1,,13800138000,,2026-01-01,10,Tmall\n",
        "M1,,,oUNION9,2026-01-02,20,Mini\n",
    ])  # fmt: skip
    page = {
        "errcode": 0,
        "errmsg": "ok",
        "external_contact_list": [
            {
                "external_contact": {"external_userid": "wmA", "name": "张三", "type": 1},
                "follow_info": {"userid": "guide1", "createtime": 1767225600,
                                "remark_mobiles": ["13800138000"], "state": "pkgcard_tmall",
                                "add_way": 1, "tag_id": []},
            },
            {
                "external_contact": {"external_userid": "wmB", "name": "李四", "type": 1,
                                     "unionid": "oUNION9"},
                "follow_info": {"userid": "guide1", "createtime": 1767225600, "state": "miniapp",
                                "add_way": 3, "tag_id": []},
            },
        ],
        "next_cursor": "",
    }  # fmt: skip
    result = load(engine, tmp_path, "contacts.json", [json.dumps(page)], fmt="wecom-contacts")
    assert (result.inserted, result.new_customers) == (2, 0)
    with transaction(engine) as session:
        contacts = dict(
            session.execute(select(WecomContact.external_userid, WecomContact.customer_id)).all()
        )
        assert session.scalar(select(func.count()).select_from(CustomerMerge)) == 0
    assert contacts == {"wmA": owner(engine, "T1"), "wmB": owner(engine, "M1")}
    again = load(engine, tmp_path, "contacts.json", [json.dumps(page)], fmt="wecom-contacts")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_events_make_prospects_and_reimport_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    rows = [
        "customer_id,event_type,item,category,occurred_at\n",
        "P1,view,Serum 30ml,精华,2026-03-01 10:00:00\n",
        "P1,cart,Serum 30ml,精华,2026-03-01 10:05:00\n",
        "P2,favourite,Sun cream,防晒,2026-03-02 21:00:00\n",
    ]
    first = load(engine, tmp_path, "events.csv", rows, fmt="events")
    assert (first.inserted, first.new_customers, first.rejected) == (3, 2, 0)
    again = load(engine, tmp_path, "events.csv", rows, fmt="events")
    assert (again.inserted, again.unchanged, again.new_customers) == (0, 3, 0)
