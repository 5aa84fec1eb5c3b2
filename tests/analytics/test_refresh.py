"""`siyu refresh`: profiles, lifecycle stages and their timeline, incremental = full."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text

from siyu.analytics import refresh as refresh_module
from siyu.analytics import store as store_module
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.refresh import refresh
from siyu.analytics.tables import CustomerProfile, StageTransition
from siyu.customers.tables import CustomerIdentity
from siyu.db.engine import make_engine, transaction
from siyu.db.migrate import upgrade
from siyu.db.schema import metadata
from siyu.ingest.service import ImportOptions, import_file
from tests.db.test_migrations import RANK_INDEX_NAMES, partial_rank_indexes, schema_diff
from tests.snapshot import snapshot

ZONE = ZoneInfo("Asia/Shanghai")
Row = tuple[str, str, str, str]
ORDERS_HEADER = "order_id,customer_id,ordered_at,amount,status,refund_amount,category,shop\n"


def orders(rows: list[tuple[str, str, str, str]]) -> str:
    """(order id, customer, date, amount) → orders-csv text; status completed."""
    lines = [f"{o},{c},{d} 12:00:00,{a},completed,,护肤,Tmall\n" for o, c, d, a in rows]
    return ORDERS_HEADER + "".join(lines)


def load(engine: Engine, tmp_path: Path, name: str, text: str, fmt: str = "orders-csv") -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    import_file(engine, path, ImportOptions(fmt, rejects_dir=tmp_path / "r"), timezone=ZONE)


def stages(engine: Engine) -> dict[str, str]:
    """customer ref (C…, P…) → stage."""
    with transaction(engine) as session:
        rows = session.execute(
            select(CustomerIdentity.value, CustomerProfile.stage).join(
                CustomerProfile, CustomerProfile.customer_id == CustomerIdentity.customer_id
            )
        ).all()
    return dict(rows)


HISTORY = [
    ("A1", "C1", "2026-06-01", "100"),  # one purchase
    ("B1", "C2", "2026-05-01", "50"),
    ("B2", "C2", "2026-06-01", "50"),  # two purchases, 31 days apart
    ("S1", "C3", "2026-06-01", "30"),
    ("S2", "C3", "2026-06-01", "30"),  # two orders on one day: one purchase
    *[(f"L{n}", "C4", f"2026-0{n}-10", "80") for n in range(2, 7)],  # five, monthly: loyal
    ("T1", "C5", "2026-03-01", "60"),
    ("T2", "C5", "2026-04-01", "60"),
    ("T3", "C5", "2026-05-01", "60"),  # three, monthly
]


def test_stages_profile_figures_and_timeline(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path, "orders.csv", orders(HISTORY))
    load(engine, tmp_path, "events.csv", "customer_id,event_type,item,occurred_at\n"
         "P1,cart,Serum,2026-06-05 10:00:00\n", fmt="events")  # fmt: skip
    result = refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    assert (result.mode, result.recomputed) == ("full", 6)
    assert stages(engine) == {
        "C1": "first_order", "C2": "second_order", "C3": "first_order", "C4": "loyal",
        "C5": "third_order", "P1": "prospect",
    }  # fmt: skip
    with transaction(engine) as session:
        loyal = session.scalars(
            select(CustomerProfile)
            .join(CustomerIdentity, CustomerIdentity.customer_id == CustomerProfile.customer_id)
            .where(CustomerIdentity.value == "C4")
        ).one()
        timeline = session.execute(
            select(StageTransition.to_stage, StageTransition.changed_on)
            .where(StageTransition.customer_id == loyal.customer_id)
            .order_by(StageTransition.changed_on)
        ).all()
    assert (loyal.orders, loyal.purchase_days, loyal.net_revenue_fen, loyal.aov_fen) == (
        5, 5, 40_000, 8_000,
    )  # fmt: skip
    assert loyal.median_repeat_days == 30.5  # gaps 29, 30, 31, 31 days
    assert loyal.by_shop == {"Tmall": {"orders": 5, "net_revenue_fen": 40_000}}
    assert loyal.category_scores == {"护肤": 1.0}
    assert timeline == [
        ("first_order", date(2026, 2, 10)),
        ("second_order", date(2026, 3, 10)),
        ("third_order", date(2026, 4, 10)),
        ("loyal", date(2026, 5, 10)),
    ]


def test_dormant_and_churned_advance_with_as_of_alone(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path, "orders.csv", orders(HISTORY))
    refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    # C5 buys monthly (mean interval 30.5 days): dormant after 2 intervals, churned after 4.
    refresh(engine, as_of=date(2026, 7, 2), zone=ZONE)
    assert stages(engine)["C5"] == "dormant"
    later = refresh(engine, as_of=date(2026, 9, 1), zone=ZONE)
    assert later.recomputed == 0
    assert stages(engine)["C5"] == "churned"
    with transaction(engine) as session:
        steps = session.execute(
            select(StageTransition.to_stage, StageTransition.changed_on)
            .join(CustomerIdentity, CustomerIdentity.customer_id == StageTransition.customer_id)
            .where(CustomerIdentity.value == "C5")
            .order_by(StageTransition.changed_on)
        ).all()
    assert steps[-2:] == [("dormant", date(2026, 7, 1)), ("churned", date(2026, 8, 31))]


def test_incremental_refresh_equals_full(engine: Engine, tmp_path: Path, empty_db_url: str) -> None:
    more = [("N1", "C1", "2026-07-01", "90"), ("N2", "C9", "2026-07-02", "20")]
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    load(engine, tmp_path, "b.csv", orders(more))
    incremental = refresh(engine, as_of=date(2026, 7, 20), zone=ZONE)
    assert (incremental.mode, incremental.recomputed) == ("incremental", 2)

    other = make_engine(empty_db_url)
    upgrade(other)
    load(other, tmp_path, "a.csv", orders(HISTORY))
    load(other, tmp_path, "b.csv", orders(more))
    full = refresh(other, as_of=date(2026, 7, 20), zone=ZONE)
    assert full.mode == "full"
    tables = ("customer_profiles", "stage_transitions")
    picture = {name: rows for name, rows in snapshot(engine).items() if name in tables}
    expected = {name: rows for name, rows in snapshot(other).items() if name in tables}
    other.dispose()
    strip_ids = lambda rows: sorted((row[1:] for row in rows), key=repr)  # noqa: E731 (ids differ)
    assert picture["customer_profiles"] == expected["customer_profiles"]
    assert strip_ids(picture["stage_transitions"]) == strip_ids(expected["stage_transitions"])


def timelines(engine: Engine) -> dict[str, list[tuple[str | None, str, date]]]:
    """customer ref → their timeline steps (from, to, day) in order."""
    t = StageTransition
    found: dict[str, list[tuple[str | None, str, date]]] = {}
    with transaction(engine) as session:
        rows = session.execute(
            select(CustomerIdentity.value, t.from_stage, t.to_stage, t.changed_on)
            .join(t, t.customer_id == CustomerIdentity.customer_id)
            .order_by(t.changed_on, t.id)
        )
        for ref, *step in rows:
            found.setdefault(ref, []).append(tuple(step))  # type: ignore[arg-type]
    return found


def test_the_timeline_does_not_depend_on_how_often_refreshes_ran(
    engine: Engine, tmp_path: Path, empty_db_url: str
) -> None:
    """C5 is dormant from 1 July and churned from 31 August. Refreshed on a day in between,
    or not (a weekly or monthly cadence skips it), or once in full at the end: the same
    steps, the dormant one included; and a full refresh after incremental ones rewrites no
    one."""
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    refresh(engine, as_of=date(2026, 7, 2), zone=ZONE)  # sees C5 dormant
    refresh(engine, as_of=date(2026, 9, 1), zone=ZONE)
    every_day = timelines(engine)
    assert every_day["C5"][-2:] == [
        ("third_order", "dormant", date(2026, 7, 1)),
        ("dormant", "churned", date(2026, 8, 31)),
    ]
    again = refresh(engine, as_of=date(2026, 9, 1), zone=ZONE, full=True)
    assert (again.mode, again.changed) == ("full", 0)

    other = make_engine(empty_db_url)
    upgrade(other)
    load(other, tmp_path, "a.csv", orders(HISTORY))
    refresh(other, as_of=date(2026, 6, 15), zone=ZONE)
    assert refresh(other, as_of=date(2026, 9, 1), zone=ZONE).mode == "incremental"
    skipped = timelines(other)  # never refreshed while C5 was dormant
    with transaction(other) as session:
        session.execute(text("DELETE FROM analytics_state"))
    assert refresh(other, as_of=date(2026, 9, 1), zone=ZONE).mode == "full"
    rebuilt = timelines(other)  # every step written anew, from nothing kept
    other.dispose()
    assert skipped == every_day
    assert rebuilt == every_day


@pytest.mark.parametrize("full", [True, False])
def test_refresh_is_repeatable(engine: Engine, tmp_path: Path, full: bool) -> None:
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    before = snapshot(engine)
    again = refresh(engine, as_of=date(2026, 6, 15), zone=ZONE, full=full)
    assert again.recomputed == (5 if full else 0)
    after = snapshot(engine)
    assert after["customer_profiles"] == before["customer_profiles"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_full_when_new_buyers_move_every_quintile(
    engine: Engine, tmp_path: Path, empty_db_url: str, seed: int
) -> None:
    """Eighty buyers, then new orders from a third of them and from twenty new ones, twice:
    the quintile thresholds of R, F and M all move, and the incremental refresh re-scores
    exactly the buyers they passed (it reads four values per dimension, not every buyer)."""
    pick = random.Random(seed)

    def batch(prefix: str, customers: list[int], start: date, days: int) -> list[Row]:
        return [
            (f"{prefix}{n}", f"C{customer}",
             (start + timedelta(days=pick.randrange(days))).isoformat(),
             str(pick.choice([9, 30, 30, 80, 150, 400])))
            for n, customer in enumerate(customers)
        ]  # fmt: skip

    first = batch("A", [pick.randrange(80) for _ in range(200)], date(2025, 1, 1), 500)
    second = batch("B", pick.sample(range(80), 27) + list(range(80, 100)), date(2026, 5, 20), 20)
    third = batch("D", pick.sample(range(100), 30), date(2026, 6, 12), 3)
    load(engine, tmp_path, "a.csv", orders(first))
    refresh(engine, as_of=date(2026, 5, 19), zone=ZONE)
    before = rfm_scores(engine)
    load(engine, tmp_path, "b.csv", orders(second))
    assert refresh(engine, as_of=date(2026, 6, 10), zone=ZONE).mode == "incremental"
    load(engine, tmp_path, "c.csv", orders(third))
    assert refresh(engine, as_of=date(2026, 9, 1), zone=ZONE).mode == "incremental"
    after = rfm_scores(engine)
    untouched = set(before) - {row[1] for row in second + third}
    moved = {ref for ref in untouched if before[ref][-4:] != after[ref][-4:]}
    assert moved, "the new buyers should move some untouched buyers' quintiles"

    other = make_engine(empty_db_url)
    upgrade(other)
    for name, rows in (("a.csv", first), ("b.csv", second), ("c.csv", third)):
        load(other, tmp_path, name, orders(rows))
    assert refresh(other, as_of=date(2026, 9, 1), zone=ZONE).mode == "full"
    full = rfm_scores(other)
    other.dispose()
    assert after == full


def rfm_scores(engine: Engine) -> dict[str, tuple[object, ...]]:
    """customer ref → the figures RFM ranks and the scores (the shop's interval, which an
    incremental refresh keeps from the last full one, plays no part in them)."""
    p = CustomerProfile
    with transaction(engine) as session:
        rows = session.execute(
            select(CustomerIdentity.value, p.last_order_at, p.purchase_days, p.net_revenue_fen,
                   p.rfm_r, p.rfm_f, p.rfm_m, p.rfm_segment)
            .join(p, p.customer_id == CustomerIdentity.customer_id)
            .where(CustomerIdentity.kind == "customer_ref")
        ).all()  # fmt: skip
    return {ref: tuple(rest) for ref, *rest in rows}


def test_full_refresh_rebuilds_the_profile_indexes_it_dropped(
    engine: Engine, tmp_path: Path
) -> None:
    """A full refresh rewrites the profile tables without their secondary indexes (and on
    PostgreSQL truncates them): afterwards the schema is the models' again, partial rank
    indexes included, and the refresh's larger index-build memory did not outlive it."""
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    other_policy = LifecyclePolicy(loyal_min_purchases=3)  # every row rewritten, over the kept
    assert refresh(engine, as_of=date(2026, 6, 15), zone=ZONE, policy=other_policy).mode == "full"
    assert schema_diff(engine, metadata()) == []
    assert partial_rank_indexes(engine) == RANK_INDEX_NAMES
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            query = (
                "SELECT setting = reset_val FROM pg_settings WHERE name = 'maintenance_work_mem'"
            )
            assert connection.scalar(text(query)) is True


@pytest.mark.parametrize("rewrite", [True, False])
def test_full_refresh_failing_mid_write_keeps_the_last_profiles(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rewrite: bool
) -> None:
    """The emptied tables and dropped indexes (a rewrite), or the changed customers' deleted
    rows (a full refresh over kept profiles), are part of the refresh's transaction: a
    failure while writing leaves the last refresh's profiles, timeline and indexes."""
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    load(engine, tmp_path, "b.csv", orders([("N1", "C1", "2026-06-18", "90")]))  # C1 changes
    before = snapshot(engine)

    def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    if rewrite:
        monkeypatch.setattr(refresh_module, "insert_transitions", broken)
    else:  # the changed customers' rows are deleted first, then the new ones written
        monkeypatch.setattr(store_module, "write_rows", broken)
    policy = LifecyclePolicy(loyal_min_purchases=3) if rewrite else None  # other: rewrites
    with pytest.raises(RuntimeError, match="disk full"):
        refresh(engine, as_of=date(2026, 6, 20), zone=ZONE, full=True, policy=policy)
    after = snapshot(engine)
    for table in ("customer_profiles", "stage_transitions"):
        assert after[table] == before[table]
    assert schema_diff(engine, metadata()) == []
