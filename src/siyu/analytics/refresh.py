"""`siyu refresh`: compute every customer's profile, incrementally or in full.

Incremental (the default once profiles exist): only customers touched by imports or merges since
the last refresh are recomputed from their history — work grows with the new data, not with
history. Then the date-dependent scores (stage, dormancy, RFM, CLV) are updated over everyone
from a few profile columns, writing only what moved. `--full` recomputes everyone.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from siyu.analytics.clv_scoring import ClvScoreResult, refresh_clv
from siyu.analytics.compute import compute
from siyu.analytics.facts import read_facts
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.scoring import score_all
from siyu.analytics.store import delete_profiles, insert_profiles, read_state, write_state
from siyu.analytics.tables import CustomerProfile
from siyu.commerce.tables import Category
from siyu.customers.changes import changed_customers, clear_changes
from siyu.customers.tables import Customer
from siyu.db.engine import transaction

CUSTOMER_CHUNK = 50_000  # customers recomputed per pass: bounds memory on a full refresh


@dataclass(frozen=True, slots=True)
class RefreshResult:
    as_of: date
    mode: str
    recomputed: int
    scored: int
    changed: int
    stage_changes: int
    shop_interval_days: float
    clv: ClvScoreResult
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def refresh(
    engine: Engine,
    *,
    as_of: date,
    zone: ZoneInfo,
    full: bool = False,
    policy: LifecyclePolicy | None = None,
) -> RefreshResult:
    policy = policy or LifecyclePolicy()
    started = time.perf_counter()
    with transaction(engine) as session:
        full = full or read_state(session, "as_of") is None
        targets = _all_customers(session) if full else changed_customers(session)
        if full:
            delete_profiles(session, None)
        recomputed = _recompute(session, targets, zone, policy, full=full)
        clear_changes(session, changed_customers(session) if full else targets)
        scores = score_all(session, as_of=as_of, policy=policy, zone=zone)
        clv = refresh_clv(session, as_of=as_of, zone=zone, refit=full)
        write_state(session, "as_of", as_of.isoformat())
    return RefreshResult(
        as_of=as_of,
        mode="full" if full else "incremental",
        recomputed=recomputed,
        scored=scores.scored,
        changed=scores.changed,
        stage_changes=scores.stage_changes,
        shop_interval_days=round(scores.shop_interval_days, 4),
        clv=clv,
        seconds=round(time.perf_counter() - started, 3),
    )


def _all_customers(session: Session) -> list[int]:
    return list(session.scalars(select(Customer.id).order_by(Customer.id)))


def _recompute(
    session: Session, targets: list[int], zone: ZoneInfo, policy: LifecyclePolicy, *, full: bool
) -> int:
    categories = dict(session.execute(select(Category.id, Category.name)).all())
    live = _live(session, targets)
    if not full:
        delete_profiles(session, targets)  # merged-away customers lose theirs for good
    for start in range(0, len(live), CUSTOMER_CHUNK):
        chunk = live[start : start + CUSTOMER_CHUNK]
        facts = read_facts(session, None if full and len(live) <= CUSTOMER_CHUNK else chunk)
        computed = compute(np.array(chunk, dtype=np.int64), facts, policy, zone, categories)
        insert_profiles(session, computed)
    return len(live)


def _live(session: Session, targets: list[int]) -> list[int]:
    """Those of `targets` that still exist and were not merged into someone else."""
    live: list[int] = []
    for start in range(0, len(targets), 5_000):
        chunk = targets[start : start + 5_000]
        live.extend(
            session.scalars(
                select(Customer.id).where(Customer.id.in_(chunk), Customer.merged_into_id.is_(None))
            )
        )
    return sorted(live)


def profile_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(CustomerProfile)) or 0)
