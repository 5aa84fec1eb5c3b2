"""Tiers: default levels, immediate upgrades, downgrades after the tier year and grace."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select

from siyu.customers.merge import do_merge
from siyu.db.engine import transaction
from siyu.loyalty.errors import LoyaltyError
from siyu.loyalty.tables import MemberTier, TierLevel
from siyu.loyalty.tier_recompute import TierRecomputeResult, recompute_tiers
from siyu.loyalty.tier_statement import tier_statement
from siyu.loyalty.tiers import (
    DEFAULT_LEVELS,
    ensure_default_levels,
    list_levels,
    set_level,
    tier_of,
)
from tests.builders import make_customer, make_order, make_shop
from tests.loyalty.support import at, customer_id, import_orders
from tests.snapshot import snapshot


def recompute(engine: Engine, when: str) -> TierRecomputeResult:
    with transaction(engine) as session:
        return recompute_tiers(session, as_of=at(when))


def tier_code(engine: Engine, customer: int) -> str | None:
    with transaction(engine) as session:
        view = tier_of(session, customer)
    return view.level.code if view else None


def test_default_levels_are_created_once(engine: Engine) -> None:
    with transaction(engine) as session:
        assert ensure_default_levels(session) is True
        assert ensure_default_levels(session) is False
        levels = list_levels(session)
        assert session.scalar(select(func.count()).select_from(TierLevel)) == 4
    assert [(level.code, level.name) for level in levels] == [
        ("normal", "普通"),
        ("silver", "银卡"),
        ("gold", "金卡"),
        ("black_gold", "黑金"),
    ]
    assert levels == list(DEFAULT_LEVELS)
    assert levels[3].privileges == [
        "10% off",
        "free shipping",
        "exclusive activities",
        "priority service",
    ]


def test_upgrade_is_immediate_and_downgrade_waits_for_year_end_and_grace(
    engine: Engine, tmp_path: Path
) -> None:
    import_orders(
        engine,
        tmp_path,
        [
            "A1,C1,13800000001,2025-01-10 20:00:00,1200.00,completed,,",
            "A2,C1,13800000001,2025-02-10 20:00:00,4000.00,completed,,",
        ],
    )
    member = customer_id(engine, "C1")
    # 20 January: ¥1,200 in the last 12 months → joins at silver (≥ ¥1,000).
    assert recompute(engine, "2025-01-20 12:00").joined == 1
    assert tier_code(engine, member) == "silver"
    # 11 February: ¥5,200 → gold at once; the tier year runs to 11 February 2026.
    assert recompute(engine, "2025-02-11 12:00").upgraded == 1
    with transaction(engine) as session:
        view = tier_of(session, member)
    assert view is not None
    assert (view.level.code, view.since, view.period_ends_at) == (
        "gold",
        at("2025-02-11 12:00"),
        at("2026-02-11 12:00"),
    )
    # 15 January 2026: A1 has left the window (¥4,000 → silver), but the tier year runs on.
    assert recompute(engine, "2026-01-15 12:00").downgraded == 0
    # Year end + 29 days: nothing in the window any more, still within the 30-day grace.
    assert recompute(engine, "2026-03-12 12:00").downgraded == 0
    assert tier_code(engine, member) == "gold"
    with transaction(engine) as session:
        statement = tier_statement(session, member, as_of=at("2026-03-12 12:00"))
    assert (statement.qualifies_for, statement.downgrade_from) == ("normal", at("2026-03-13 12:00"))
    # Year end + 30 days: down to what the figures justify.
    result = recompute(engine, "2026-03-13 12:00")
    assert (result.downgraded, result.upgraded, result.joined) == (1, 0, 0)
    assert tier_code(engine, member) == "normal"
    with transaction(engine) as session:
        history = tier_statement(session, member, as_of=at("2026-03-13 12:00")).history
    assert [
        (h.effective_at, h.kind, h.from_tier, h.to_tier, h.spend_fen, h.orders) for h in history
    ] == [
        (at("2025-01-20 12:00"), "joined", None, "silver", 120_000, 1),
        (at("2025-02-11 12:00"), "upgrade", "silver", "gold", 520_000, 2),
        (at("2026-03-13 12:00"), "downgrade", "gold", "normal", 0, 0),
    ]


def test_a_member_who_still_qualifies_starts_a_new_tier_year(
    engine: Engine, tmp_path: Path
) -> None:
    import_orders(
        engine,
        tmp_path,
        [f"A{n},C1,13800000001,2025-{n:02d}-05 12:00:00,100.00,completed,," for n in range(1, 13)],
    )
    member = customer_id(engine, "C1")
    recompute(engine, "2025-01-06 00:00")  # one order: normal
    assert recompute(engine, "2025-03-06 00:00").upgraded == 1  # three orders: silver
    result = recompute(engine, "2026-03-06 00:00")  # year over; 10 orders in the window
    assert (result.renewed, result.upgraded, result.downgraded) == (0, 1, 0)  # gold (≥ 8 orders)
    with transaction(engine) as session:
        view = tier_of(session, member)
    assert view is not None
    assert (view.level.code, view.period_ends_at) == ("gold", at("2027-03-06 00:00"))
    import_orders(
        engine,
        tmp_path,
        [f"B{n},C1,13800000001,2026-{n:02d}-05 12:00:00,100.00,completed,," for n in range(1, 13)],
        "more.csv",
    )
    assert recompute(engine, "2027-03-06 00:00").renewed == 1
    with transaction(engine) as session:
        view = tier_of(session, member)
    assert view is not None
    assert (view.level.code, view.since, view.period_ends_at) == (
        "gold",
        at("2026-03-06 00:00"),
        at("2028-03-06 00:00"),
    )


def test_recomputation_is_set_based(engine: Engine) -> None:
    """The same number of statements for 3 members as for 60."""

    def statements_for(members: int) -> int:
        with transaction(engine) as session:
            shop = make_shop(session)
            for index in range(members):
                customer = make_customer(session)
                make_order(session, shop=shop, customer=customer, paid_fen=50_000 * (index % 5))
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            recompute(engine, "2026-02-01")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    with transaction(engine) as session:
        ensure_default_levels(session)
    assert statements_for(3) == statements_for(60)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(MemberTier)) == 63


def test_merged_customers_leave_the_member_table(engine: Engine, tmp_path: Path) -> None:
    import_orders(
        engine,
        tmp_path,
        [
            "A1,C1,13800000001,2026-01-05 12:00:00,600.00,completed,,",
            "A2,C2,13800000002,2026-01-06 12:00:00,600.00,completed,,",
        ],
    )
    kept, merged = customer_id(engine, "C1"), customer_id(engine, "C2")
    recompute(engine, "2026-01-10")
    with transaction(engine) as session:
        do_merge(session, kept_id=kept, merged_id=merged, reason="operator: same person")
    result = recompute(engine, "2026-01-11")
    assert (result.members, result.upgraded) == (1, 1)
    assert (tier_code(engine, kept), tier_code(engine, merged)) == ("silver", None)


def test_levels_are_configurable_and_checked(engine: Engine) -> None:
    with transaction(engine) as session:
        set_level(session, replace(DEFAULT_LEVELS[1], name="银卡会员", min_spend_fen=80_000))
        assert list_levels(session)[1].min_spend_fen == 80_000
    before = snapshot(engine)
    for spec, words in [
        (replace(DEFAULT_LEVELS[0], min_spend_fen=1), "must qualify everyone"),
        (replace(DEFAULT_LEVELS[2], code="platinum"), "rank 2 is already level 'gold'"),
        (replace(DEFAULT_LEVELS[2], discount_percent=120), "percentage from 0 to 100"),
        (replace(DEFAULT_LEVELS[2], min_spend_fen=None, min_orders=None), "threshold"),
    ]:
        with pytest.raises(LoyaltyError, match=words), transaction(engine) as session:
            set_level(session, spec)
    assert snapshot(engine) == before
