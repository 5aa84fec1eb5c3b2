"""Scoring over everyone: expected interval, dormancy dates, stage, RFM — written where changed.

Runs on every refresh, full or incremental: it reads a few columns of every profile (work grows
with customers, not with orders) and writes only the rows whose values moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.analytics import rfm
from siyu.analytics.days import day_date, day_number, local_days
from siyu.analytics.lifecycle import ORDER_STAGES, current_stages, thresholds
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.tables import CustomerProfile, StageTransition
from siyu.db.sql import epoch_seconds

P = CustomerProfile


@dataclass(frozen=True, slots=True)
class ScoreResult:
    scored: int
    changed: int
    stage_changes: int
    shop_interval_days: float


def score_all(
    session: Session, *, as_of: date, policy: LifecyclePolicy, zone: ZoneInfo
) -> ScoreResult:
    rows = session.execute(
        select(
            P.customer_id, func.coalesce(epoch_seconds(P.last_order_at), -1), P.purchase_days,
            P.net_revenue_fen, P.mean_repeat_days, P.order_stage, P.deleted_staff, P.stage,
            P.expected_interval_days, P.dormant_on, P.churned_on, P.rfm_r, P.rfm_f, P.rfm_m,
            P.rfm_segment, P.deleted_staff_on,
        ).order_by(P.customer_id)
    ).all()  # fmt: skip
    if not rows:
        return ScoreResult(0, 0, 0, policy.fallback_interval_days)
    columns = list(zip(*rows, strict=True))
    ids = np.array(columns[0], dtype=np.int64)
    last_seconds = np.array(columns[1], dtype=np.int64)
    purchases = np.array(columns[2], dtype=np.int64)
    net = np.array(columns[3], dtype=np.float64)
    mean = np.array([np.nan if value is None else value for value in columns[4]])
    order_stage = np.array([ORDER_STAGES.index(name) for name in columns[5]], dtype=np.int64)
    deleted = np.array(columns[6], dtype=bool)

    buyer = purchases > 0
    last_day = np.where(buyer, local_days(last_seconds, zone), 0)
    own = np.where(purchases >= policy.min_purchases_for_own_interval, mean, np.nan)
    shop_interval = (
        float(np.nanmedian(own)) if np.isfinite(own).any() else policy.fallback_interval_days
    )
    interval = np.where(np.isnan(own), shop_interval, own)
    dormant_on, churned_on = thresholds(last_day.astype(np.float64), interval, policy)
    deleted_on = np.array([day_number(day) if day else 0 for day in columns[15]], dtype=np.int64)
    churned_on = np.where(deleted & (deleted_on < churned_on), deleted_on, churned_on)
    as_of_day = day_number(as_of)
    stages = current_stages(order_stage, dormant_on, churned_on, deleted & ~buyer, as_of_day)
    scores = _rfm(buyer, as_of_day - last_day, purchases, net)

    changes: list[dict[str, Any]] = []
    moved: list[tuple[int, str, int, int, int]] = []
    for index, row in enumerate(rows):
        new = {
            "expected_interval_days": round(float(interval[index]), 4) if buyer[index] else None,
            "dormant_on": day_date(int(dormant_on[index])) if buyer[index] else None,
            "churned_on": day_date(int(churned_on[index])) if buyer[index] else None,
            "stage": stages[index],
            **scores[index],
        }
        old = {
            "expected_interval_days": row[8], "dormant_on": row[9], "churned_on": row[10],
            "stage": row[7], "rfm_r": row[11], "rfm_f": row[12], "rfm_m": row[13],
            "rfm_segment": row[14],
        }  # fmt: skip
        change = {key: value for key, value in new.items() if old[key] != value}
        if change:
            changes.append({"customer_id": int(ids[index]), **change})
        if "stage" in change:
            moved.append((int(ids[index]), stages[index], int(last_day[index]),
                          int(dormant_on[index]), int(churned_on[index])))  # fmt: skip
    if changes:
        session.execute(update(CustomerProfile), changes)
    _reconcile_timeline(session, moved, as_of_day)
    return ScoreResult(len(rows), len(changes), len(moved), shop_interval)


def _rfm(
    buyer: NDArray[np.bool_],
    recency: NDArray[np.int64],
    purchases: NDArray[np.int64],
    net: NDArray[np.float64],
) -> list[dict[str, Any]]:
    empty = {"rfm_r": None, "rfm_f": None, "rfm_m": None, "rfm_segment": None}
    result: list[dict[str, Any]] = [dict(empty) for _ in range(buyer.size)]
    positions = np.flatnonzero(buyer)
    if positions.size == 0:
        return result
    r = rfm.quintile_scores(recency[positions].astype(np.float64), higher_is_better=False)
    f = rfm.quintile_scores(purchases[positions].astype(np.float64))
    m = rfm.quintile_scores(net[positions])
    names = rfm.segment_names(r, f, m)
    for slot, position in enumerate(positions.tolist()):
        result[position] = {
            "rfm_r": int(r[slot]), "rfm_f": int(f[slot]), "rfm_m": int(m[slot]),
            "rfm_segment": names[slot],
        }  # fmt: skip
    return result


def _reconcile_timeline(
    session: Session, moved: list[tuple[int, str, int, int, int]], as_of_day: int
) -> None:
    """Record each stage change in the timeline, dated when it happened, and stage_since."""
    if not moved:
        return
    latest = _latest_transitions(session, [customer for customer, *_ in moved])
    inserts, since = [], []
    for customer, stage, last_day, dormant_day, churned_day in moved:
        when = {"dormant": dormant_day, "churned": churned_day}.get(stage, last_day)
        previous = latest.get(customer)
        if previous is not None and previous[0] == stage:
            when = day_number(previous[1]) if stage not in ("dormant", "churned") else when
            session.execute(
                update(StageTransition)
                .where(StageTransition.id == previous[2])
                .values(changed_on=day_date(when))
            )
        else:
            inserts.append(
                {"customer_id": customer, "from_stage": previous[0] if previous else None,
                 "to_stage": stage, "changed_on": day_date(when)}
            )  # fmt: skip
        since.append({"customer_id": customer, "stage_since": day_date(when)})
    if inserts:
        session.execute(insert(StageTransition), inserts)
    session.execute(update(CustomerProfile), since)


def _latest_transitions(session: Session, customers: list[int]) -> dict[int, tuple[str, date, int]]:
    latest: dict[int, tuple[str, date, int]] = {}
    for start in range(0, len(customers), 5_000):
        chunk = customers[start : start + 5_000]
        newest = (
            select(func.max(StageTransition.id))
            .where(StageTransition.customer_id.in_(chunk))
            .group_by(StageTransition.customer_id)
        )
        for customer, stage, day, row_id in session.execute(
            select(StageTransition.customer_id, StageTransition.to_stage,
                   StageTransition.changed_on, StageTransition.id)
            .where(StageTransition.id.in_(newest))
        ):  # fmt: skip
            latest[customer] = (stage, day, row_id)
    return latest
