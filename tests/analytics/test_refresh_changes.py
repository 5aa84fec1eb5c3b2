"""A full refresh over kept profiles rewrites only the customers whose profile or timeline
changed, and leaves the tables exactly as a full refresh from nothing would."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from siyu.analytics import refresh as refresh_module
from siyu.analytics import scoring
from siyu.analytics.refresh import refresh
from siyu.analytics.store import PROFILE_COLUMNS
from siyu.analytics.tables import AnalyticsState, CustomerProfile, StageTransition
from siyu.customers.merge import do_merge
from siyu.customers.tables import CustomerIdentity
from siyu.db.engine import make_engine, transaction
from siyu.db.migrate import upgrade
from tests.analytics.test_refresh import HISTORY, ZONE, load, orders

HEADER = "order_id,customer_id,ordered_at,amount,status,refund_amount,category,shop\n"
Order = tuple[str, str, str, str]


def history(pick: random.Random, prefix: str, count: int, start: date, days: int) -> list[Order]:
    """`count` orders of forty customers (C0…C39) on random days from `start`."""
    return [
        (f"{prefix}{n}", f"C{pick.randrange(40)}",
         (start + timedelta(days=pick.randrange(days))).isoformat(),
         str(pick.choice([19, 59, 59, 129, 399])))
        for n in range(count)
    ]  # fmt: skip


def refunded(rows: list[Order]) -> str:
    """The same orders exported again, now refunded in full."""
    lines = [f"{o},{c},{d} 12:00:00,{a},refunded,{a},护肤,Tmall\n" for o, c, d, a in rows]
    return HEADER + "".join(lines)


def profiles(engine: Engine) -> dict[int, tuple[Any, ...]]:
    """customer id → the columns a refresh computes (CLV, refit by every full refresh, apart)."""
    columns = [getattr(CustomerProfile, name) for name in PROFILE_COLUMNS]
    with transaction(engine) as session:
        return {row[0]: tuple(row) for row in session.execute(select(*columns))}


def steps(engine: Engine) -> dict[int, list[tuple[Any, ...]]]:
    """customer id → their timeline steps in order, each (id, from, to, day)."""
    t = StageTransition
    timelines: dict[int, list[tuple[Any, ...]]] = {}
    with transaction(engine) as session:
        query = select(t.customer_id, t.id, t.from_stage, t.to_stage, t.changed_on)
        for customer, *step in session.execute(query.order_by(t.changed_on, t.id)):
            timelines.setdefault(customer, []).append(tuple(step))
    return timelines


def customer_id(engine: Engine, ref: str) -> int:
    with transaction(engine) as session:
        query = select(CustomerIdentity.customer_id).where(CustomerIdentity.value == ref)
        return int(session.scalars(query).one())


def merge(engine: Engine, merged: str, kept: str) -> int:
    """Fold one customer into another (their identities move with them); the merged id."""
    kept_id, merged_id = customer_id(engine, kept), customer_id(engine, merged)
    with transaction(engine) as session:
        do_merge(session, kept_id=kept_id, merged_id=merged_id, reason="test: same person")
    return merged_id


@pytest.mark.parametrize("seed", [1, 2])
def test_full_refresh_over_kept_profiles_rewrites_only_the_changed(
    engine: Engine, tmp_path: Path, empty_db_url: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the shop's interval held (when it moves, everyone is rewritten: the test below)
    monkeypatch.setattr(scoring, "shop_interval_days", lambda *_: 30.0)
    pick = random.Random(seed)
    first = history(pick, "A", 120, date(2025, 1, 1), 520)
    second = history(pick, "B", 12, date(2026, 6, 5), 10)
    refunds = pick.sample(first, 3)  # old orders refunded since: their customers change
    load(engine, tmp_path, "a.csv", orders(first))
    assert refresh(engine, as_of=date(2026, 6, 4), zone=ZONE).mode == "full"
    profiles_before, steps_before = profiles(engine), steps(engine)

    load(engine, tmp_path, "b.csv", orders(second))
    load(engine, tmp_path, "c.csv", refunded(refunds))
    merged = merge(engine, "C38", "C39")
    result = refresh(engine, as_of=date(2026, 6, 20), zone=ZONE, full=True)
    after, steps_after = profiles(engine), steps(engine)

    # rewritten: the customers whose computed row or timeline is not the stored one
    differ = {
        customer
        for customer in profiles_before.keys() | after.keys()
        if profiles_before.get(customer) != after.get(customer)
        or [s[1:] for s in steps_before.get(customer, [])]
        != [s[1:] for s in steps_after.get(customer, [])]
    }
    assert (result.mode, result.scored) == ("full", len(after))
    assert 0 < result.changed == len(differ) < result.scored
    assert merged in profiles_before
    assert merged not in after  # merged away: its profile goes
    for customer in after:  # steps that did not change were left, not written again
        old, new = steps_before.get(customer, []), steps_after.get(customer, [])
        if [s[1:] for s in old] == [s[1:] for s in new]:
            assert new == old  # their ids too, whether the profile row changed or not
    at = PROFILE_COLUMNS.index("stage")
    stages_before = {c: row[at] for c, row in profiles_before.items()}
    moved = [c for c, row in after.items() if stages_before.get(c) != row[at]]
    assert result.stage_changes == len(moved)

    other = make_engine(empty_db_url)  # the same history, refreshed once from nothing
    upgrade(other)
    load(other, tmp_path, "a.csv", orders(first))
    load(other, tmp_path, "b.csv", orders(second))
    load(other, tmp_path, "c.csv", refunded(refunds))
    merge(other, "C38", "C39")
    assert refresh(other, as_of=date(2026, 6, 20), zone=ZONE).mode == "full"
    expected, expected_steps = profiles(other), steps(other)
    other.dispose()
    assert after == expected
    strip = lambda timelines: {c: [s[1:] for s in t] for c, t in timelines.items()}  # noqa: E731
    assert strip(steps_after) == strip(expected_steps)


def test_full_refresh_over_unchanged_data_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    load(
        engine, tmp_path, "a.csv", orders(history(random.Random(5), "A", 80, date(2025, 1, 1), 500))
    )
    refresh(engine, as_of=date(2026, 6, 4), zone=ZONE)
    before, steps_before = profiles(engine), steps(engine)
    again = refresh(engine, as_of=date(2026, 6, 4), zone=ZONE, full=True)
    assert (again.mode, again.changed, again.stage_changes) == ("full", 0, 0)
    assert (profiles(engine), steps(engine)) == (before, steps_before)  # step ids too


def test_a_full_refresh_rewrites_everyone_when_the_shops_interval_moves(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every profile without an interval of its own changes with the shop's (most of them at
    scale): a full refresh then writes every row anew instead of comparing them."""
    compared: list[str] = []
    write_changes = refresh_module.write_changes

    def spy(session: Session, *rest: Any) -> tuple[int, int]:
        compared.append(session.get_one(AnalyticsState, "as_of").value)
        return write_changes(session, *rest)

    monkeypatch.setattr(refresh_module, "write_changes", spy)
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    assert refresh(engine, as_of=date(2026, 6, 25), zone=ZONE).shop_interval_days == 30
    more = [(f"N{n}", "C6", f"2026-06-{n}", "10") for n in (1, 11, 21)]
    more += [(f"M{n}", "C1", f"2026-06-{n}", "10") for n in (11, 21)]
    load(engine, tmp_path, "b.csv", orders(more))  # two 10-day buyers: the median moves to 20
    full = refresh(engine, as_of=date(2026, 6, 25), zone=ZONE, full=True)
    assert (full.shop_interval_days, full.changed, full.scored) == (20, 6, 6)
    assert compared == []  # rewritten, not compared
    same_day = refresh(engine, as_of=date(2026, 6, 25), zone=ZONE, full=True)
    assert (same_day.changed, same_day.shop_interval_days) == (0, 20)
    assert compared == ["2026-06-25"]  # the interval kept: compared, and nothing moved
