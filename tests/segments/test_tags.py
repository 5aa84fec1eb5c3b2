"""Tags: exclusive groups, bulk changes by id, file and segment, rule tags recomputed on
refresh, provenance, and the WeCom mark_tag payloads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.db.engine import transaction
from siyu.segments.bulk import change_tag
from siyu.segments.errors import CustomerSelectionError, TagError
from siyu.segments.evaluation import Evaluation
from siyu.segments.queries import list_tags
from siyu.segments.rule_tags import save_rule_tag
from siyu.segments.saved import save_segment
from siyu.segments.selection import customer_keys, parse_customer_lines
from siyu.segments.tables import CustomerTag, Tag, TagEvent, TagGroup
from siyu.segments.tags import ensure_group
from siyu.segments.wecom import MarkTagPayload, import_wecom_tag, map_wecom_tag, mark_tag_payloads
from tests.builders import make_customer
from tests.segments.conftest import NOW
from tests.segments.merchant import build, load, orders_text, refresh
from tests.segments.world import ZONE
from tests.snapshot import snapshot


def holders(session: Session, name: str, group: str | None = None) -> set[int]:
    query = select(CustomerTag.customer_id).join(Tag, Tag.id == CustomerTag.tag_id)
    query = query.outerjoin(TagGroup, TagGroup.id == Tag.group_id).where(Tag.name == name)
    if group is not None:
        query = query.where(TagGroup.name == group)
    return set(session.scalars(query))


def tag_events(session: Session) -> list[tuple[int, str, str, str]]:
    rows = session.execute(
        select(TagEvent.customer_id, Tag.name, TagEvent.kind, TagEvent.source)
        .join(Tag, Tag.id == TagEvent.tag_id)
        .order_by(TagEvent.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_an_exclusive_group_keeps_one_tag_per_customer(session: Session) -> None:
    one, two, three = (make_customer(session).id for _ in range(3))
    ensure_group(session, "会员等级", exclusive=True)
    gold = change_tag(
        session, name="金卡", group="会员等级", keys=customer_keys([one, two]), now=NOW
    )
    silver = change_tag(
        session, name="银卡", group="会员等级", keys=customer_keys([two, three]), now=NOW
    )
    assert (gold.added, gold.removed_from_group) == (2, 0)
    assert (silver.added, silver.removed_from_group) == (2, 1)
    assert holders(session, "金卡") == {one}
    assert holders(session, "银卡") == {two, three}
    assert tag_events(session) == [
        (one, "金卡", "added", "manual"),
        (two, "金卡", "added", "manual"),
        (two, "金卡", "removed", "manual"),
        (two, "银卡", "added", "manual"),
        (three, "银卡", "added", "manual"),
    ]
    again = change_tag(session, name="银卡", group="会员等级", keys=customer_keys([three]), now=NOW)
    assert (again.added, again.removed_from_group) == (0, 0)
    removed = change_tag(
        session, name="银卡", group="会员等级", keys=customer_keys([two]), remove=True, now=NOW
    )
    assert removed.removed == 1
    assert holders(session, "银卡") == {three}


def test_a_file_of_ids_and_phones_follows_merges_and_refuses_unknown_keys(
    engine: Engine, session: Session
) -> None:
    kept = make_customer(session, phone="+8613800138000")
    gone = make_customer(session)
    gone.merged_into_id = kept.id
    other = make_customer(session)
    session.commit()
    keys = parse_customer_lines(f"customer_id\n{gone.id}\n13800138000\n\n{other.id}\n")
    change = change_tag(session, name="复购券", group=None, keys=keys, now=NOW)
    assert change.added == 2
    assert holders(session, "复购券") == {kept.id, other.id}
    session.commit()

    before = snapshot(engine)
    unknown = parse_customer_lines(f"{other.id}\n13900139000\n999999\n")
    with pytest.raises(CustomerSelectionError) as raised:
        change_tag(session, name="复购券", group=None, keys=unknown, now=NOW)
    assert raised.value.message == (
        "2 of 3 customers not found: line 2 (phone +86139****9000), line 3 (customer 999999); "
        "nothing changed"
    )
    with pytest.raises(CustomerSelectionError, match="line 2: 'abc' is neither"):
        parse_customer_lines("1\nabc\n")
    session.rollback()
    assert snapshot(engine) == before


def test_tag_the_members_of_a_segment(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ids = build(engine, tmp_path)
    refresh(db_url, "2026-06-15")
    with transaction(engine) as session:
        change = change_tag(
            session,
            name="试用装",
            group="活动",
            segment="semi_private_targets",
            keys=customer_keys([ids["C1"]]),
            now=NOW,
        )
        assert change.added == 3
        assert holders(session, "试用装") == {ids["P1"], ids["P2"], ids["C1"]}
        removal = change_tag(
            session,
            name="试用装",
            group="活动",
            segment="semi_private_targets",
            remove=True,
            now=NOW,
        )
        assert removal.removed == 2
        assert holders(session, "试用装") == {ids["C1"]}


def test_rule_tags_are_recomputed_on_refresh(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ids = build(engine, tmp_path)
    refresh(db_url, "2026-06-15")
    big = {"version": 1, "rule": {"field": "net_revenue_fen", "op": ">=", "value": 15_000}}
    with transaction(engine) as session:
        change = save_rule_tag(
            session,
            name="高消费",
            group="价值",
            document=big,
            evaluation=Evaluation(date(2026, 6, 15), ZONE),
            now=NOW,
        )
        assert (change.added, change.removed) == (1, 0)
        assert holders(session, "高消费") == {ids["C4"]}
        with pytest.raises(TagError, match="is a rule tag"):
            change_tag(
                session, name="高消费", group="价值", keys=customer_keys([ids["C1"]]), now=NOW
            )
    load(
        engine,
        tmp_path,
        "more.csv",
        orders_text(
            [
                ("A3", "C1", "", "2026-06-20 12:00:00", "200", "completed", "", "护肤", ""),
            ]
        ),
        "orders-csv",
    )
    report = refresh(db_url, "2026-06-25")
    assert report["segments"]["rule_tags"] == [  # type: ignore[index]
        {"tag": "价值/高消费", "added": 1, "removed": 0, "removed_from_group": 0, "skipped": None}
    ]
    with transaction(engine) as session:
        assert holders(session, "高消费") == {ids["C1"], ids["C4"]}
        tags = {(t.group, t.name): t for t in list_tags(session)}
        assert (tags[("价值", "高消费")].provenance, tags[("价值", "高消费")].customers) == (
            "rule",
            2,
        )
        assert [e for e in tag_events(session) if e[1] == "高消费"] == [
            (ids["C4"], "高消费", "added", "rule"),
            (ids["C1"], "高消费", "added", "rule"),
        ]


def test_rule_tags_in_an_exclusive_group_give_the_first_that_matches(session: Session) -> None:
    big, small = make_customer(session), make_customer(session)
    for customer, revenue in ((big, 50_000), (small, 5_000)):
        session.add(_profile(customer.id, revenue))
    ensure_group(session, "价值", exclusive=True)
    as_of = Evaluation(date(2026, 6, 15), ZONE)
    save_rule_tag(
        session, name="高", group="价值", document=spend(">=", 20_000), evaluation=as_of, now=NOW
    )
    save_rule_tag(
        session, name="有消费", group="价值", document=spend(">", 0), evaluation=as_of, now=NOW
    )
    assert holders(session, "高") == {big.id}
    assert holders(session, "有消费") == {small.id}


def test_wecom_mark_tag_payloads_follow_the_changes(session: Session) -> None:
    customer = make_customer(session)
    staff = StaffAccount(userid="zhangsan")
    session.add(staff)
    session.flush()
    session.add(
        WecomContact(
            staff_id=staff.id,
            external_userid="wmEXT1",
            customer_id=customer.id,
            added_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    vip = import_wecom_tag(
        session,
        group_name="客户等级",
        wecom_group_id="etGROUP",
        tag_name="VIP",
        wecom_tag_id="etVIP",
    )
    assert vip.provenance == "wecom"
    change_tag(
        session, name="新品试用", group="客户等级", keys=customer_keys([customer.id]), now=NOW
    )
    tag = session.scalars(select(Tag).where(Tag.name == "新品试用")).one()
    map_wecom_tag(session, tag=tag, wecom_tag_id="etTRIAL")
    change_tag(session, name="VIP", group="客户等级", keys=customer_keys([customer.id]), now=NOW)
    first = mark_tag_payloads(session)
    assert first.payloads == [MarkTagPayload("zhangsan", "wmEXT1", ["etTRIAL", "etVIP"], [])]
    change_tag(
        session,
        name="VIP",
        group="客户等级",
        keys=customer_keys([customer.id]),
        remove=True,
        now=NOW,
    )
    second = mark_tag_payloads(session, after_event_id=first.last_event_id)
    assert second.payloads == [MarkTagPayload("zhangsan", "wmEXT1", [], ["etVIP"])]
    assert mark_tag_payloads(session, after_event_id=second.last_event_id).payloads == []


def spend(op: str, fen: int) -> dict[str, object]:
    return {"version": 1, "rule": {"field": "net_revenue_fen", "op": op, "value": fen}}


def _profile(customer_id: int, revenue: int) -> object:
    from siyu.analytics.tables import CustomerProfile

    return CustomerProfile(
        customer_id=customer_id, net_revenue_fen=revenue, stage="first_order", orders=1
    )


def test_save_segment_then_tag_by_it(session: Session) -> None:
    customer = make_customer(session)
    session.add(_profile(customer.id, 100))
    save_segment(
        session,
        name="有消费",
        document={"version": 1, "rule": {"field": "orders", "op": ">=", "value": 1}},
        evaluation=Evaluation(date(2026, 6, 15), ZONE),
        now=NOW,
    )
    change = change_tag(session, name="t", group=None, segment="有消费", now=NOW)
    assert change.added == 1
