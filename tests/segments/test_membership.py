"""Saved segments: materialised on every refresh with entered/exited events and daily counts;
explanations; built-in segments."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from siyu.analytics.tables import CustomerProfile
from siyu.db.engine import transaction
from siyu.segments.builtins import BUILTIN_CODES, ensure_builtin_segments
from siyu.segments.errors import SegmentReadOnlyError
from siyu.segments.evaluation import Evaluation
from siyu.segments.explain import explain
from siyu.segments.membership import saved_rule
from siyu.segments.queries import list_segments
from siyu.segments.refresh import refresh_segments
from siyu.segments.saved import copy_segment, get_segment, save_segment
from siyu.segments.tables import Segment, SegmentCount, SegmentEvent, SegmentMember
from tests.builders import make_customer
from tests.segments.conftest import NOW
from tests.segments.merchant import build, load, orders_text, refresh
from tests.segments.world import ZONE
from tests.snapshot import snapshot

FIRST_ORDER = {"version": 1, "rule": {"field": "stage", "op": "=", "value": "first_order"}}


def events_of(engine: Engine, name: str) -> list[tuple[int, str, date]]:
    with transaction(engine) as session:
        segment = get_segment(session, name)
        rows = session.execute(
            select(SegmentEvent.customer_id, SegmentEvent.kind, SegmentEvent.as_of)
            .where(SegmentEvent.segment_id == segment.id)
            .order_by(SegmentEvent.as_of, SegmentEvent.kind, SegmentEvent.customer_id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def counts_of(engine: Engine, name: str) -> list[tuple[date, int, int, int]]:
    with transaction(engine) as session:
        segment = get_segment(session, name)
        rows = session.execute(
            select(
                SegmentCount.counted_on,
                SegmentCount.members,
                SegmentCount.entered,
                SegmentCount.exited,
            )
            .where(SegmentCount.segment_id == segment.id)
            .order_by(SegmentCount.counted_on)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def members_of(engine: Engine, name: str) -> set[int]:
    with transaction(engine) as session:
        segment = get_segment(session, name)
        query = select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment.id)
        return set(session.scalars(query))


def test_membership_events_and_counts_across_two_refreshes(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ids = build(engine, tmp_path)
    refresh(db_url, "2026-06-15")
    with transaction(engine) as session:
        save_segment(
            session,
            name="新客",
            document=FIRST_ORDER,
            evaluation=Evaluation(date(2026, 6, 15), ZONE),
            now=NOW,
        )
    assert members_of(engine, "新客") == {ids["C1"], ids["C4"]}

    # C1 buys again (→ second_order, exits); P1 buys for the first time (→ first_order, enters).
    load(
        engine,
        tmp_path,
        "more.csv",
        orders_text(
            [
                ("A2", "C1", "", "2026-06-20 12:00:00", "100", "completed", "", "护肤", ""),
                ("P1A", "P1", "", "2026-06-21 12:00:00", "40", "completed", "", "护肤", ""),
            ]
        ),
        "orders-csv",
    )
    report = refresh(db_url, "2026-06-25")
    assert members_of(engine, "新客") == {ids["C4"], ids["P1"]}
    assert events_of(engine, "新客") == [
        (ids["C1"], "entered", date(2026, 6, 15)),
        (ids["C4"], "entered", date(2026, 6, 15)),
        (ids["P1"], "entered", date(2026, 6, 25)),
        (ids["C1"], "exited", date(2026, 6, 25)),
    ]
    assert counts_of(engine, "新客") == [(date(2026, 6, 15), 2, 2, 0), (date(2026, 6, 25), 2, 1, 1)]
    mine = [s for s in report["segments"]["segments"] if s["name"] == "新客"]  # type: ignore[index]
    assert mine == [
        {"name": "新客", "code": None, "members": 2, "entered": 1, "exited": 1, "skipped": None}
    ]

    # A second refresh the same day changes nothing and keeps one count row for the day.
    refresh(db_url, "2026-06-25")
    assert len(events_of(engine, "新客")) == 4
    assert counts_of(engine, "新客")[-1] == (date(2026, 6, 25), 2, 1, 1)


def test_merged_away_customers_are_never_members(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ids = build(engine, tmp_path)
    refresh(db_url, "2026-06-15")
    everyone = {"version": 1, "rule": {"not": {"tag": "合伙人"}}}
    with transaction(engine) as session:
        ensure_builtin_segments(session)
        session.execute(
            text("UPDATE customers SET merged_into_id = :kept WHERE id = :gone"),
            {"kept": ids["C1"], "gone": ids["P2"]},
        )
        save_segment(
            session,
            name="all",
            document=everyone,
            evaluation=Evaluation(date(2026, 6, 15), ZONE),
            now=NOW,
        )
        result = explain(
            session,
            rule=saved_rule(session, get_segment(session, "all")),
            customer_id=ids["P2"],
            evaluation=Evaluation(date(2026, 6, 15), ZONE),
        )
    assert ids["P2"] not in members_of(engine, "all")
    assert members_of(engine, "all") == set(ids.values()) - {ids["P2"]}
    assert (result.is_match, result.merged_into_id, result.tree.holds) == (False, ids["C1"], True)


def test_explanations_give_every_condition_and_the_customers_values(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ids = build(engine, tmp_path)
    refresh(db_url, "2026-06-15")
    document = {
        "version": 1,
        "rule": {
            "and": [
                {"field": "stage", "op": "in", "value": ["first_order", "prospect"]},
                {
                    "event": {
                        "types": ["favourite", "cart"],
                        "category": "护肤",
                        "within_days": 14,
                        "no_paid_order_since": True,
                    }
                },
                {"not": {"field": "last_order_at", "op": "<", "value": {"days_ago": 30}}},
                {
                    "or": [
                        {"field": "category_share", "key": "护肤", "op": ">=", "value": 0.5},
                        {"purchase": {"sku": "S1"}},
                    ]
                },
            ]
        },
    }
    as_of = Evaluation(date(2026, 6, 15), ZONE)
    with transaction(engine) as session:
        save_segment(session, name="护肤意向", document=document, evaluation=as_of, now=NOW)
        rule = saved_rule(session, get_segment(session, "护肤意向"))
        inside = explain(session, rule=rule, customer_id=ids["C1"], evaluation=as_of)
        outside = explain(session, rule=rule, customer_id=ids["P1"], evaluation=as_of)
    assert members_of(engine, "护肤意向") == {ids["C1"]}
    assert inside.is_match
    assert not outside.is_match
    window = "event favourite|cart in category 护肤 in the last 14 days, with no paid order since"
    assert inside.tree.as_dict() == {
        "path": "$.rule",
        "condition": "and",
        "holds": True,
        "children": [
            {
                "path": "$.rule.and[0]",
                "condition": "stage in [first_order, prospect]",
                "holds": True,
                "value": "first_order",
            },
            {"path": "$.rule.and[1]", "condition": window, "holds": True, "value": 1},
            {
                "path": "$.rule.and[2]",
                "condition": "not",
                "holds": True,
                "children": [
                    {
                        "path": "$.rule.and[2].not",
                        "condition": "last_order_at < 2026-05-16 (30 days ago)",
                        "holds": False,
                        "value": "2026-06-01",
                    }
                ],
            },
            {
                "path": "$.rule.and[3]",
                "condition": "or",
                "holds": True,
                "children": [
                    {
                        "path": "$.rule.and[3].or[0]",
                        "condition": "category_share[护肤] >= 0.5",
                        "holds": True,
                        "value": 1.0,
                    },
                    {
                        "path": "$.rule.and[3].or[1]",
                        "condition": "paid order with sku S1 ever",
                        "holds": True,
                        "value": 1,
                    },
                ],
            },
        ],
    }
    out: dict[str, Any] = outside.tree.as_dict()
    assert [child["holds"] for child in out["children"]] == [True, True, True, False]
    assert out["children"][3]["children"][0]["value"] == 0.0  # P1 has bought nothing
    assert out["children"][2]["children"][0] == {
        "path": "$.rule.and[2].not",
        "condition": "last_order_at < 2026-05-16 (30 days ago)",
        "holds": False,
    }


def test_builtins_are_created_idempotently_and_read_only(engine: Engine, session: Session) -> None:
    ensure_builtin_segments(session)
    session.commit()
    before = snapshot(engine, skip=())
    ensure_builtin_segments(session)
    session.commit()
    assert snapshot(engine) == before
    codes = {s.code for s in list_segments(session) if s.is_builtin}
    assert (
        codes
        == BUILTIN_CODES
        == {
            "active",
            "paying",
            "vip",
            "fission",
            "partner",
            "super_users",
            "semi_private_targets",
            "second_order_targets",
            "third_order_targets",
            "repurchase_due",
            "win_back",
            "at_risk",
        }
    )
    as_of = Evaluation(date(2026, 6, 15), ZONE)
    with pytest.raises(SegmentReadOnlyError, match="built in and read-only"):
        save_segment(session, name="二购目标", document=FIRST_ORDER, evaluation=as_of, now=NOW)
    with pytest.raises(Exception, match="code of a built-in segment"):
        save_segment(session, name="vip", document=FIRST_ORDER, evaluation=as_of, now=NOW)
    copy = copy_segment(
        session, source="second_order_targets", name="my copy", evaluation=as_of, now=NOW
    )
    assert copy.name == "my copy"
    copied = session.scalars(select(Segment).where(Segment.name == "my copy")).one()
    assert (copied.is_builtin, copied.code, copied.rule) == (False, None, FIRST_ORDER)


def test_builtin_audiences_on_a_real_merchant(engine: Engine, db_url: str, tmp_path: Path) -> None:
    ids = build(engine, tmp_path)
    report = refresh(db_url, "2026-06-15")
    skipped = {s["code"]: s["skipped"] for s in report["segments"]["segments"]}  # type: ignore[index]
    assert members_of(engine, "second_order_targets") == {ids["C1"], ids["C4"]}
    assert members_of(engine, "third_order_targets") == {ids["C2"]}
    assert members_of(engine, "paying") == {ids["C1"], ids["C2"], ids["C4"]}  # C3 refunded
    assert members_of(engine, "semi_private_targets") == {ids["P1"], ids["P2"]}
    assert members_of(engine, "active") == {ids["C1"], ids["C2"], ids["P1"], ids["P2"]}
    assert members_of(engine, "partner") == set()
    assert {code for code, reason in skipped.items() if reason} <= {"fission", "super_users"}
    with transaction(engine) as session:
        present = session.connection().dialect.has_table(session.connection(), "referrals")
    assert (skipped["fission"] is None) == present


def profile(customer_id: int, **values: Any) -> CustomerProfile:
    defaults: dict[str, Any] = {"stage": "first_order", "orders": 1}
    return CustomerProfile(customer_id=customer_id, **(defaults | values))


def test_value_based_builtins_on_given_profiles(engine: Engine, session: Session) -> None:
    """vip, win_back, at_risk and repurchase_due, from profiles as refresh would leave them."""
    people = {name: make_customer(session, name=name).id for name in "ABCDEFGH"}
    session.add_all(
        [
            profile(people["A"], stage="loyal", orders=6, rfm_segment="champions", clv_fen=9_000),
            profile(people["B"], stage="dormant", orders=3, clv_fen=100_000, p_alive=0.2),
            profile(people["C"], stage="dormant", orders=3, clv_fen=1_000, p_alive=0.2),
            profile(people["D"], stage="second_order", orders=2, clv_fen=5_000, p_alive=0.3),
            profile(
                people["E"],
                stage="third_order",
                orders=3,
                rfm_segment="cant_lose",
                clv_fen=4_000,
                p_alive=0.9,
                next_purchase_on=date(2026, 6, 22),
            ),
            profile(
                people["F"],
                stage="first_order",
                orders=1,
                clv_fen=2_000,
                p_alive=0.3,
                next_purchase_on=date(2026, 6, 23),
            ),
            profile(people["G"], stage="churned", orders=2, rfm_segment="at_risk", clv_fen=3_000),
            profile(people["H"], stage="prospect", orders=0),
        ]
    )
    session.commit()
    refresh_segments(engine, as_of=date(2026, 6, 15), zone=ZONE)
    named = {customer_id: name for name, customer_id in people.items()}

    def who(code: str) -> str:
        return "".join(sorted(named[customer] for customer in members_of(engine, code)))

    # CLV ranking among the 7 with a CLV: B 100,000 (top 1/7 = 14%), A 9,000 (2/7 = 29%), …
    assert who("vip") == "A"  # champions; B is in the top 14%, not the top 10%
    assert who("win_back") == "B"  # dormant and in the top 30%; C is dormant but low value
    assert who("at_risk") == "DE"  # D: 2 orders, P(alive) 0.3; E: cant_lose; G churned already
    assert who("repurchase_due") == "E"  # due 2026-06-22, within 7 days; F on the 23rd is not
    assert who("paying") == ""  # profiles alone: no paid orders in the store


@pytest.mark.parametrize("backend", ["sqlite"])
def test_segments_on_a_missing_table_are_skipped_with_the_reason(engine: Engine) -> None:
    with engine.begin() as connection:  # a store without the loyalty capability's table
        connection.exec_driver_sql("DROP TABLE IF EXISTS referrals")
    report = refresh_segments(engine, as_of=date(2026, 6, 15), zone=ZONE)
    skipped = {segment.code: segment.skipped for segment in report.segments if segment.skipped}
    reason = (
        "the field referrals is not available yet: it reads the table referrals, which the "
        "loyalty capability has not added to this database"
    )
    assert skipped == {
        "fission": f"$.rule.field: {reason}",
        "super_users": f"$.rule.and[1].segment: segment '裂变用户' cannot be used: "
        f"$.rule.field: {reason}",
    }
    assert "not refreshed: 裂变用户, 超级用户" in report.summary()
