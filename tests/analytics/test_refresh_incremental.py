"""What an incremental refresh keeps from the last full one: the shop's interval (re-estimated
by `--full`) and the CLV scores of customers it did not recompute (under a fitted model)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from siyu.analytics import refresh as refresh_module
from siyu.analytics.facts import Facts
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.refresh import refresh
from siyu.analytics.scoring import shop_interval_days
from siyu.analytics.stored_policy import lifecycle_policy, save_lifecycle_policy
from siyu.analytics.tables import ClvModel, CustomerProfile
from siyu.customers.changes import BUMP, mark_changed
from siyu.customers.tables import CustomerIdentity
from siyu.db.engine import transaction
from tests.analytics.test_clv_service import clv_columns
from tests.analytics.test_refresh import HISTORY, ZONE, load, orders
from tests.builders import make_customer, make_order, make_shop

P = CustomerProfile
# Published CDNOW estimates (weeks; spend in yuan), used here as "the newest fitted model".
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik": -9582.4}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def intervals(engine: Engine) -> dict[int, tuple[int, float | None]]:
    with transaction(engine) as session:
        rows = session.execute(select(P.customer_id, P.purchase_days, P.expected_interval_days))
        return {customer: (days, interval) for customer, days, interval in rows}


def test_the_shop_interval_is_kept_until_a_full_refresh(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    first = refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    assert first.shop_interval_days == 30  # the median of C4's 30 and C5's 30.5 days: 30.25
    # C1 and a new C6 buy every 10 days: the median of the own intervals moves to 20.
    more = [(f"M{n}", "C1", f"2026-06-{n}", "10") for n in (11, 21)]
    more += [(f"N{n}", "C6", f"2026-06-{n}", "10") for n in (1, 11, 21)]
    load(engine, tmp_path, "b.csv", orders(more))
    incremental = refresh(engine, as_of=date(2026, 6, 25), zone=ZONE)
    assert (incremental.mode, incremental.shop_interval_days) == ("incremental", 30)
    kept = intervals(engine)  # C2 and C3 (1–2 purchases) are given the shop's interval
    assert sorted(interval for days, interval in kept.values() if 0 < days < 3) == [30] * 2
    full = refresh(engine, as_of=date(2026, 6, 25), zone=ZONE, full=True)
    assert full.shop_interval_days == 20
    fresh = intervals(engine)
    assert sorted(interval for days, interval in fresh.values() if 0 < days < 3) == [20] * 2


def test_the_shop_interval_is_the_median_to_the_nearest_whole_day() -> None:
    policy = LifecyclePolicy()
    nan = float("nan")
    assert shop_interval_days(np.array([30.0, 30.5, nan]), policy) == 30  # 30.25
    assert shop_interval_days(np.array([30.0, 31.0, nan]), policy) == 31  # 30.5: half up
    assert shop_interval_days(np.array([33.8182]), policy) == 34
    assert shop_interval_days(np.array([nan, nan]), policy) == policy.fallback_interval_days


def test_incremental_clv_rescores_only_the_recomputed_under_a_fitted_model(
    engine: Engine,
) -> None:
    with transaction(engine) as session:
        shop = make_shop(session)
        buyers = [make_customer(session) for _ in range(3)]
        for n, buyer in enumerate(buyers):
            for day in (3, 17, 24 - n):
                make_order(session, shop=shop, customer=buyer, paid_fen=10_000 + 100 * n,
                           ordered_at=datetime(2026, 3, day, 4, tzinfo=UTC))  # fmt: skip
    refresh(engine, as_of=date(2026, 4, 1), zone=ZONE, full=True)  # too little data: fallback
    with transaction(engine) as session:
        session.add(ClvModel(fitted_until=date(2026, 4, 1), unit="week", bgnbd=BGNBD,
                             gamma_gamma=GAMMA_GAMMA, customers=3, repeat_purchases=6))  # fmt: skip
    switched = refresh(engine, as_of=date(2026, 4, 1), zone=ZONE)
    assert (switched.clv.model, switched.clv.scored) == ("bgnbd", 3)  # a new model: everyone
    before = clv_columns(engine)

    buyer = buyers[0]
    with transaction(engine) as session:
        make_order(session, shop=session.merge(shop), customer=session.merge(buyer),
                   paid_fen=20_000, ordered_at=datetime(2026, 4, 20, 4, tzinfo=UTC))  # fmt: skip
        mark_changed(session, [buyer.id])
    later = refresh(engine, as_of=date(2026, 5, 1), zone=ZONE)
    assert (later.recomputed, later.clv.model, later.clv.scored) == (1, "bgnbd", 1)
    incremental = clv_columns(engine)
    assert {c: incremental[c] for c in incremental if c != buyer.id} == {
        c: before[c] for c in before if c != buyer.id
    }  # the others keep their scores as of April 1st
    assert incremental[buyer.id] != before[buyer.id]

    again = refresh(engine, as_of=date(2026, 5, 1), zone=ZONE, full=True)
    assert again.clv.scored == 3
    full = clv_columns(engine)
    assert incremental[buyer.id] == full[buyer.id]  # the recomputed one: as a full refresh
    assert all(full[c] != before[c] for c in full if c != buyer.id)  # the others aged since


def test_changed_lifecycle_thresholds_make_the_next_refresh_full(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    assert refresh(engine, as_of=date(2026, 6, 15), zone=ZONE).mode == "full"
    assert refresh(engine, as_of=date(2026, 6, 16), zone=ZONE).mode == "incremental"
    with transaction(engine) as session:
        stricter = replace(lifecycle_policy(session), dormant_factor=1.5)
        save_lifecycle_policy(session, stricter, by="admin")
    assert refresh(engine, as_of=date(2026, 6, 17), zone=ZONE).mode == "full"
    assert refresh(engine, as_of=date(2026, 6, 18), zone=ZONE).mode == "incremental"


def orders_of(engine: Engine, ref: str) -> int:
    with transaction(engine) as session:
        return int(
            session.scalar(
                select(P.orders)
                .join(CustomerIdentity, CustomerIdentity.customer_id == P.customer_id)
                .where(CustomerIdentity.value == ref)
            )
            or 0
        )


def test_an_order_imported_while_a_refresh_reads_waits_for_the_next_refresh(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh reads the marks, then the marked customers' facts, then clears the marks.
    PostgreSQL: an import that commits C1's next order after the facts were read marks C1
    again, and that mark outlives the refresh, so the next one counts the order. SQLite: the
    refresh holds the write lock from before it reads facts, so no import commits in between."""
    postgres = engine.dialect.name == "postgresql"
    load(engine, tmp_path, "a.csv", orders(HISTORY))
    refresh(engine, as_of=date(2026, 6, 15), zone=ZONE)
    load(engine, tmp_path, "b.csv", orders([("M1", "C1", "2026-06-20", "10")]))
    read_facts = refresh_module.read_facts

    def read_then_import(session: Session, targets: list[int] | None) -> Facts:
        facts = read_facts(session, targets)
        if postgres:  # commits on another connection while the refresh is open
            load(engine, tmp_path, "c.csv", orders([("M2", "C1", "2026-06-21", "20")]))
        else:
            other = sqlite3.connect(str(engine.url.database), timeout=0.2)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO customer_changes (customer_id) VALUES (1) " + BUMP)
            other.close()
        return facts

    monkeypatch.setattr(refresh_module, "read_facts", read_then_import)
    first = refresh(engine, as_of=date(2026, 6, 25), zone=ZONE)
    monkeypatch.undo()
    assert (first.mode, first.recomputed, orders_of(engine, "C1")) == ("incremental", 1, 2)
    second = refresh(engine, as_of=date(2026, 6, 25), zone=ZONE)
    assert (second.recomputed, orders_of(engine, "C1")) == ((1, 3) if postgres else (0, 2))
