"""The points ledger through imports and the capability functions, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from siyu.customers.merge import do_merge, do_unmerge
from siyu.db.engine import transaction
from siyu.loyalty.errors import LoyaltyError
from siyu.loyalty.points import adjust_points, points_balance, points_history, redeem_points
from siyu.loyalty.points_sync import sync_points
from siyu.loyalty.tier_recompute import recompute_tiers
from tests.loyalty.support import at, balance, customer_id, entries, import_orders
from tests.snapshot import snapshot


def sync(engine: Engine, now: str) -> tuple[int, int, int]:
    with transaction(engine) as session:
        result = sync_points(session, now=at(now))
    return result.earn_entries, result.reverse_entries, result.expired_points


def test_paid_orders_earn_once_at_the_tier_held_when_paid(engine: Engine, tmp_path: Path) -> None:
    import_orders(
        engine,
        tmp_path,
        [
            "A1,C1,13800000001,2026-03-01 10:00:00,129.90,completed,,",
            "A2,C2,13800000002,2026-03-02 10:00:00,200.00,paid,,",
            "A3,C1,13800000001,2026-03-05 10:00:00,50.00,pending_payment,,",
            "G1,C3,13800000003,2026-01-05 10:00:00,6000.00,completed,,",
        ],
    )
    with transaction(engine) as session:  # C3 becomes gold (≥ ¥5,000) on 6 January
        recompute_tiers(session, as_of=at("2026-01-06 00:00"))
    import_orders(
        engine, tmp_path, ["G2,C3,13800000003,2026-02-01 10:00:00,100.00,paid,,"], "g2.csv"
    )

    assert sync(engine, "2026-03-10") == (4, 0, 0)
    assert balance(engine, customer_id(engine, "C1")) == 129  # ¥129.90 → 129, unpaid A3 nothing
    assert balance(engine, customer_id(engine, "C2")) == 200
    assert entries(engine, customer_id(engine, "C3")) == [("earn", 6000, 0), ("earn", 150, 0)]

    assert sync(engine, "2026-03-11") == (0, 0, 0)
    import_orders(
        engine, tmp_path, ["A2,C2,13800000002,2026-03-02 10:00:00,200.00,paid,,"], "again.csv"
    )
    assert sync(engine, "2026-03-12") == (0, 0, 0)
    assert balance(engine, customer_id(engine, "C2")) == 200


def test_refunds_reverse_in_proportion_once(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["B1,C5,13800000005,2026-03-01 10:00:00,300.00,completed,,"])
    sync(engine, "2026-03-02")
    import_orders(
        engine,
        tmp_path,
        ["B1,C5,13800000005,2026-03-01 10:00:00,300.00,partially_refunded,100.00,"],
        "r1.csv",
    )
    assert sync(engine, "2026-03-03") == (0, 1, 0)
    assert sync(engine, "2026-03-04") == (0, 0, 0)
    import_orders(
        engine,
        tmp_path,
        ["B1,C5,13800000005,2026-03-01 10:00:00,300.00,refunded,300.00,"],
        "r2.csv",
    )
    assert sync(engine, "2026-03-05") == (0, 1, 0)
    assert sync(engine, "2026-03-06") == (0, 0, 0)
    customer = customer_id(engine, "C5")
    assert entries(engine, customer) == [
        ("earn", 300, 0),
        ("reverse", -100, 0),
        ("reverse", -200, 0),
    ]
    assert balance(engine, customer) == 0


def test_an_order_closed_after_payment_gives_its_points_back(
    engine: Engine, tmp_path: Path
) -> None:
    import_orders(engine, tmp_path, ["B1,C5,13800000005,2026-03-01 10:00:00,300.00,paid,,"])
    sync(engine, "2026-03-02")
    import_orders(
        engine, tmp_path, ["B1,C5,13800000005,2026-03-01 10:00:00,300.00,closed,,"], "c.csv"
    )
    assert sync(engine, "2026-03-03") == (0, 1, 0)
    assert entries(engine, customer_id(engine, "C5")) == [("earn", 300, 0), ("reverse", -300, 0)]


def test_a_reversal_never_takes_more_than_the_balance(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["B1,C5,13800000005,2026-03-01 10:00:00,300.00,completed,,"])
    sync(engine, "2026-03-02")
    customer = customer_id(engine, "C5")
    with transaction(engine) as session:
        redeem_points(
            session, customer_id=customer, points=250, reason="gift", now=at("2026-03-02")
        )
    import_orders(
        engine, tmp_path, ["B1,C5,13800000005,2026-03-01 10:00:00,300.00,refunded,300.00,"], "r.csv"
    )
    sync(engine, "2026-03-03")
    assert entries(engine, customer) == [
        ("earn", 300, 0),
        ("redeem", -250, 0),
        ("reverse", -50, 250),
    ]
    assert balance(engine, customer) == 0
    assert sync(engine, "2026-03-04") == (0, 0, 0)


def test_refused_redemption_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2026-03-01 10:00:00,100.00,completed,,"])
    sync(engine, "2026-03-02")
    customer = customer_id(engine, "C1")
    before = snapshot(engine)
    with pytest.raises(LoyaltyError) as refused, transaction(engine) as session:
        redeem_points(
            session, customer_id=customer, points=101, reason="gift", now=at("2026-03-02")
        )
    assert refused.value.code == "insufficient_points"
    assert "has 100 points; 101 asked" in refused.value.message
    assert snapshot(engine) == before


def test_a_request_key_makes_a_retried_redemption_a_no_op(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2026-03-01 10:00:00,100.00,completed,,"])
    sync(engine, "2026-03-02")
    customer = customer_id(engine, "C1")
    for _ in range(2):
        with transaction(engine) as session:
            entry = redeem_points(
                session,
                customer_id=customer,
                points=30,
                reason="gift",
                now=at("2026-03-02"),
                request_key="mini-program:req-77",
            )
    assert entry.points == -30
    assert balance(engine, customer) == 70


def test_adjustments_need_a_reason_and_an_operator(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2026-03-01 10:00:00,100.00,completed,,"])
    sync(engine, "2026-03-02")
    customer = customer_id(engine, "C1")
    before = snapshot(engine)
    for reason, operator, points, code in [
        ("", "li.na", 10, "missing_reason"),
        ("goodwill", " ", 10, "missing_reason"),
        ("goodwill", "li.na", 0, "invalid_amount"),
        ("typo", "li.na", -101, "insufficient_points"),
    ]:
        with pytest.raises(LoyaltyError) as refused, transaction(engine) as session:
            adjust_points(
                session,
                customer_id=customer,
                points=points,
                reason=reason,
                operator=operator,
                now=at("2026-03-03"),
            )
        assert refused.value.code == code
    assert snapshot(engine) == before
    with transaction(engine) as session:
        adjust_points(
            session,
            customer_id=customer,
            points=-40,
            reason="typo",
            operator="li.na",
            now=at("2026-03-03"),
        )
        adjust_points(
            session,
            customer_id=customer,
            points=15,
            reason="late parcel",
            operator="wang.fang",
            now=at("2026-03-04"),
        )
        history = points_history(session, customer)
    assert [(e.kind, e.points, e.reason, e.operator) for e in history] == [
        ("adjust", 15, "late parcel", "wang.fang"),
        ("adjust", -40, "typo", "li.na"),
        ("earn", 100, "paid order", "system"),
    ]
    assert balance(engine, customer) == 75


def test_points_expire_first_in_first_out(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2025-01-10 20:00:00,100.00,completed,,"])
    sync(engine, "2025-01-11")  # lot 1: 100 points, paid 2025-01-10 12:00 UTC
    customer = customer_id(engine, "C1")
    with transaction(engine) as session:
        adjust_points(
            session,
            customer_id=customer,
            points=50,
            reason="birthday",
            operator="li.na",
            now=at("2025-06-10 12:00"),
        )  # lot 2
        redeem_points(
            session, customer_id=customer, points=120, reason="gift", now=at("2025-07-01")
        )
        lots = points_balance(session, customer).expiring
    assert [(lot.expires_at, lot.points) for lot in lots] == [(at("2026-06-10 12:00"), 30)]

    assert sync(engine, "2026-01-11") == (0, 0, 0)  # lot 1 is due, but the redemption took it all
    assert sync(engine, "2026-06-10 11:59") == (0, 0, 0)
    assert sync(engine, "2026-06-10 12:00") == (0, 0, 30)  # what is left of lot 2
    assert sync(engine, "2026-06-11") == (0, 0, 0)
    assert balance(engine, customer) == 0


def test_expired_points_cannot_be_redeemed(engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2025-01-10 20:00:00,100.00,completed,,"])
    sync(engine, "2025-01-11")
    customer = customer_id(engine, "C1")
    with pytest.raises(LoyaltyError) as refused, transaction(engine) as session:
        redeem_points(session, customer_id=customer, points=10, reason="gift", now=at("2026-02-01"))
    assert "has 0 points" in refused.value.message


def test_a_merge_moves_the_ledger_with_the_person(engine: Engine, tmp_path: Path) -> None:
    import_orders(
        engine,
        tmp_path,
        [
            "A1,C1,13800000001,2026-03-01 10:00:00,100.00,completed,,",
            "A2,C2,13800000002,2026-03-02 10:00:00,40.00,completed,,",
        ],
    )
    sync(engine, "2026-03-03")
    kept, merged = customer_id(engine, "C1"), customer_id(engine, "C2")
    with transaction(engine) as session:
        do_merge(session, kept_id=kept, merged_id=merged, reason="operator: same person")
    assert (balance(engine, kept), balance(engine, merged)) == (140, 0)
    with transaction(engine) as session:
        do_unmerge(session, merged_id=merged)
    assert (balance(engine, kept), balance(engine, merged)) == (100, 40)
