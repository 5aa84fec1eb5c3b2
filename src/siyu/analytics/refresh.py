"""`siyu refresh`: compute every customer's profile, incrementally or in full.

Incremental (the default once a refresh has kept its state in this time zone): only customers
touched by imports or merges since the last refresh are recomputed from their history — work
grows with the new data, not with history. Then the date-dependent scores (stage, dormancy,
RFM) are updated for the profiles whose scores can have moved (`siyu.analytics.rescoring`),
and CLV for the customers recomputed (`siyu.analytics.clv_scoring`). `--full` recomputes
everyone: one pass over each fact table, computed and scored in memory; over kept profiles it
writes only the customers whose profile or timeline changed, otherwise (the first refresh,
changed lifecycle thresholds, a moved shop's interval) every profile and timeline step once.
It also re-estimates the shop-wide figures incremental refreshes keep (the shop's interval,
the CLV model) and re-scores everyone's CLV as of its date. Run it daily; incremental
refreshes in between.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from siyu.analytics.clv_scoring import ClvScoreResult, refresh_clv
from siyu.analytics.compute import Computed, compute
from siyu.analytics.days import day_number
from siyu.analytics.facts import read_facts
from siyu.analytics.kpi_snapshot import clear_kpi_snapshots
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.rescoring import (
    keep_thresholds,
    rescore,
    stored_thresholds,
    thresholds_of,
)
from siyu.analytics.scoring import (
    Inputs,
    ScoreResult,
    score,
    score_all,
    scored_columns,
    timeline,
)
from siyu.analytics.store import (
    SQLITE_PRAGMAS,
    delete_profiles,
    empty_for_rewrite,
    has_profiles,
    insert_profiles,
    insert_transitions,
    merged_steps,
    order_transitions,
    read_state,
    rewritten,
    write_changes,
    write_state,
)
from siyu.analytics.stored_policy import lifecycle_policy
from siyu.analytics.tables import CustomerProfile, StageTransition
from siyu.commerce.tables import Category, Shop
from siyu.customers.changes import clear_changes, pending_changes
from siyu.customers.tables import Customer
from siyu.db.engine import job_transaction, vacuum_analyze

CUSTOMER_CHUNK = 50_000  # customers recomputed per pass in an incremental refresh


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
    started = time.perf_counter()
    with job_transaction(engine, sqlite_pragmas=SQLITE_PRAGMAS) as session:
        policy = policy or lifecycle_policy(session)  # the console's thresholds, or defaults
        # what is kept cannot be built on (a full refresh rewrites every row): no refresh yet;
        # changed thresholds (they move every customer's stage); no RFM thresholds kept in
        # this time zone's days
        stale = (
            read_state(session, "as_of") is None
            or read_state(session, "lifecycle_policy") != repr(policy)
            or stored_thresholds(session, zone) is None
        )
        full = full or stale
        marks = pending_changes(session)  # read before the facts: see customers/changes.py
        if full:
            rewrite = stale or not has_profiles(session)
            scores = _recompute_all(session, as_of, zone, policy, rewrite=rewrite)
            recomputed = scores.scored
        else:
            live = _recompute(session, list(marks), zone, policy)
            recomputed = int(live.size)
            scores = _rescore(session, live, as_of, zone, policy)
        clear_changes(session, marks)
        clv = refresh_clv(
            session, as_of=as_of, zone=zone, refit=full, customers=None if full else live
        )
        write_state(session, "as_of", as_of.isoformat())
        write_state(session, "shop_interval", repr(scores.shop_interval_days))
        write_state(session, "lifecycle_policy", repr(policy))
        clear_kpi_snapshots(session)  # the dashboard recomputes them on its next view
    if full and scores.changed == scores.scored:  # every row is new: incremental refreshes
        vacuum_analyze(engine, (CustomerProfile.__tablename__, StageTransition.__tablename__))
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


def _recompute_all(
    session: Session, as_of: date, zone: ZoneInfo, policy: LifecyclePolicy, *, rewrite: bool
) -> ScoreResult:
    """Everyone from one pass over the facts, scored in memory. `rewrite`: every profile and
    timeline step is written anew (the tables emptied, their indexes built again); otherwise
    only the customers whose profile or timeline changed are (`store.write_changes`) — unless
    the shop's interval moved: then every profile without an interval of its own changes, most
    of them, and writing them all anew is the faster way."""
    if rewrite:
        empty_for_rewrite(session)
    kept_interval = read_state(session, "shop_interval")
    customers = np.array(
        session.scalars(
            select(Customer.id).where(Customer.merged_into_id.is_(None)).order_by(Customer.id)
        ).all(),
        dtype=np.int64,
    )
    computed = _compute(session, customers, None, zone, policy)
    inputs = _inputs(computed)
    scores = score(inputs, as_of_day=day_number(as_of), policy=policy, zone=zone)
    keep_thresholds(session, zone, thresholds_of(inputs, zone))  # for the next incremental
    if not rewrite and kept_interval != repr(scores.shop_interval):
        rewrite = True
        empty_for_rewrite(session)
    customer, from_stage, to_stage, day = order_transitions(computed)
    last = np.flatnonzero(np.r_[customer[1:] != customer[:-1], True]) if customer.size else customer
    latest_stage = np.full(customers.size, -1, dtype=np.int64)
    latest_day = np.full(customers.size, -1, dtype=np.int64)
    at = np.searchsorted(customers, customer[last])
    latest_stage[at], latest_day[at] = to_stage[last], day[last]
    stage, when = scores.columns["stage"], scores.columns["when"]
    dormant_day = scores.columns["dormant_day"]
    since, scored, _ = timeline(customers, stage, when, latest_stage, latest_day, dormant_day)
    steps = merged_steps((customer, from_stage, to_stage, day), scored)
    columns, platforms, size = scored_columns(scores, since), _platforms(session), customers.size
    if not rewrite:
        changed, stage_changes = write_changes(session, computed, platforms, columns, steps)
        return ScoreResult(int(size), changed, stage_changes, scores.shop_interval)
    with rewritten(session):
        insert_profiles(session, computed, platforms, columns)
        insert_transitions(session, *steps)
    return ScoreResult(int(size), int(size), int(size), scores.shop_interval)


def _rescore(
    session: Session, live: NDArray[np.int64], as_of: date, zone: ZoneInfo, policy: LifecyclePolicy
) -> ScoreResult:
    """Score what can have moved, with the shop's interval of the last full refresh; everyone
    (re-estimating it) when none is stored."""
    shop_interval, last_as_of = read_state(session, "shop_interval"), read_state(session, "as_of")
    if shop_interval is None or last_as_of is None:
        result = score_all(session, as_of=as_of, policy=policy, zone=zone)
        keep_thresholds(session, zone)
        return result
    return rescore(
        session, live, as_of=as_of, last_as_of=date.fromisoformat(last_as_of),
        shop_interval=float(shop_interval), policy=policy, zone=zone,
    )  # fmt: skip


def _inputs(computed: Computed) -> Inputs:
    columns = computed.columns
    return Inputs(
        customer=computed.customers,
        last_order_seconds=columns["last_order_seconds"],
        purchase_days=columns["purchase_days"],
        net_revenue_fen=columns["net_revenue_fen"],
        mean_repeat_days=columns["mean_repeat_days"],
        order_stage=columns["order_stage_code"],
        deleted_staff=columns["deleted_staff"],
        deleted_staff_day=columns["deleted_staff_day"],
    )


def _compute(
    session: Session,
    customers: NDArray[np.int64],
    targets: list[int] | None,
    zone: ZoneInfo,
    policy: LifecyclePolicy,
) -> Computed:
    categories = dict(session.execute(select(Category.id, Category.name)).all())
    facts = read_facts(session, targets)
    return compute(customers, facts, policy, zone, categories)


def _platforms(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Shop.id, Shop.platform)).all())


def _recompute(
    session: Session, targets: list[int], zone: ZoneInfo, policy: LifecyclePolicy
) -> NDArray[np.int64]:
    """The customers touched since the last refresh, from their own facts (in chunks); those
    still live (not merged away)."""
    live = _live(session, targets)
    delete_profiles(session, targets)  # merged-away customers lose theirs for good
    platforms = _platforms(session)
    for start in range(0, len(live), CUSTOMER_CHUNK):
        chunk = live[start : start + CUSTOMER_CHUNK]
        computed = _compute(session, np.array(chunk, dtype=np.int64), chunk, zone, policy)
        insert_profiles(session, computed, platforms)
        insert_transitions(session, *order_transitions(computed))
    return np.array(live, dtype=np.int64)


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
