"""Scoring over everyone: expected interval, dormancy dates, stage, RFM — written where changed.

`score` is pure numpy. A full refresh scores the profiles it has just computed, in memory, and
writes them once. An incremental one runs `score_all`: it reads a few numeric columns of every
profile (work grows with customers, not with orders), and writes only the rows whose values
moved, with their stage change in the timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from siyu.analytics import rfm
from siyu.analytics.days import day_date, day_number, local_days
from siyu.analytics.facts import float_column, read_columns
from siyu.analytics.lifecycle import ORDER_STAGES, current_stages, thresholds
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.store import dates, insert_transitions, merged_steps, numbers, update_rows
from siyu.analytics.tables import STAGES, CustomerProfile, StageTransition
from siyu.db.sql import epoch_seconds

P = CustomerProfile
T = StageTransition
Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
DORMANT, CHURNED = STAGES.index("dormant"), STAGES.index("churned")
CHUNK = 5_000
OUTPUTS = ("interval", "dormant_day", "churned_day", "stage", "rfm_r", "rfm_f", "rfm_m", "segment")


@dataclass(frozen=True, slots=True)
class ScoreResult:
    scored: int
    changed: int
    stage_changes: int
    shop_interval_days: float


@dataclass(frozen=True, slots=True)
class Inputs:
    """What scoring needs of each profile (sorted by customer); -1 / NaN where none."""

    customer: Ints
    last_order_seconds: Ints
    purchase_days: Ints
    net_revenue_fen: Ints
    mean_repeat_days: Floats
    order_stage: Ints  # index into ORDER_STAGES
    deleted_staff: NDArray[np.bool_]
    deleted_staff_day: Ints


@dataclass(frozen=True, slots=True)
class Scores:
    columns: dict[str, NDArray[Any]]  # OUTPUTS (-1 / NaN where none), "when", "last_day"
    shop_interval: float


def score(
    inputs: Inputs,
    *,
    as_of_day: int,
    policy: LifecyclePolicy,
    zone: ZoneInfo,
    shop_interval: float | None = None,
    rfm_scores: tuple[Ints, Ints, Ints] | None = None,
) -> Scores:
    """Score `inputs`. The shop's interval and the RFM quintiles are computed over `inputs`
    (everyone), unless given: an incremental refresh scores a few profiles with the shop's
    stored interval and the quintiles ranked over every buyer (-1 for non-buyers)."""
    purchases = inputs.purchase_days
    buyer = purchases > 0
    last_day = np.where(buyer, local_days(inputs.last_order_seconds, zone), 0)
    own = np.where(
        purchases >= policy.min_purchases_for_own_interval, inputs.mean_repeat_days, np.nan
    )
    if shop_interval is None:
        shop_interval = shop_interval_days(own, policy)
    interval = np.where(np.isnan(own), shop_interval, own)
    dormant_on, churned_on = thresholds(last_day.astype(np.float64), interval, policy)
    deleted = inputs.deleted_staff
    deleted_on = np.maximum(inputs.deleted_staff_day, 0)
    churned_on = np.where(deleted & (deleted_on < churned_on), deleted_on, churned_on)
    names = current_stages(inputs.order_stage, dormant_on, churned_on, deleted & ~buyer, as_of_day)
    codes = {name: code for code, name in enumerate(STAGES)}
    stage = np.array([codes[name] for name in names], dtype=np.int64) if names else _none(0)
    when = np.where(stage == DORMANT, dormant_on, np.where(stage == CHURNED, churned_on, last_day))
    columns: dict[str, NDArray[Any]] = {
        "interval": np.where(buyer, np.round(interval, 4), np.nan),
        "dormant_day": np.where(buyer, dormant_on, -1),
        "churned_day": np.where(buyer, churned_on, -1),
        "stage": stage,
        "when": when.astype(np.int64),
        "last_day": last_day,
    }
    if rfm_scores is None:
        rfm_scores = rfm_quintiles(as_of_day - last_day, purchases, inputs.net_revenue_fen)
    columns |= _rfm(*rfm_scores)
    return Scores(columns, shop_interval)


def shop_interval_days(own: Floats, policy: LifecyclePolicy) -> float:
    """The shop's interval: the median own interval of the customers who have one, to the
    nearest whole day. Every customer without an interval of their own is given it, and it is
    estimated again by each full refresh: unrounded, a day's new orders would move it by
    hundredths of a day and change those customers' profiles (a fifth of them at 1M customers)
    for no change of their dormant or churned day."""
    if not np.isfinite(own).any():
        return policy.fallback_interval_days
    return float(math.floor(float(np.nanmedian(own)) + 0.5))


def rfm_quintiles(recency: Ints, purchases: Ints, net: Ints) -> tuple[Ints, Ints, Ints]:
    """R, F and M scores ranked among the buyers (purchases > 0); -1 for the others."""
    buyer = purchases > 0
    result = tuple(_none(buyer.size) for _ in range(3))
    if buyer.any():
        result[0][buyer] = rfm.quintile_scores(
            recency[buyer].astype(np.float64), higher_is_better=False
        )
        result[1][buyer] = rfm.quintile_scores(purchases[buyer].astype(np.float64))
        result[2][buyer] = rfm.quintile_scores(net[buyer].astype(np.float64))
    return result[0], result[1], result[2]


def _rfm(r: Ints, f: Ints, m: Ints) -> dict[str, Ints]:
    """The RFM columns and the segment code (-1 where not scored)."""
    segment = _none(r.size)
    scored = r > 0
    if scored.any():
        codes = {name: code for code, name in enumerate(rfm.SEGMENTS)}
        names = rfm.segment_names(r[scored], f[scored], m[scored])
        segment[scored] = [codes[name] for name in names]
    return {"rfm_r": r, "rfm_f": f, "rfm_m": m, "segment": segment}


def _none(size: int) -> Ints:
    return np.full(size, -1, dtype=np.int64)


def timeline(
    customers: Ints,
    stage: Ints,
    when: Ints,
    latest_stage: Ints,
    latest_day: Ints,
    dormant_day: Ints,
) -> tuple[Ints, tuple[Ints, Ints, Ints, Ints], NDArray[np.bool_]]:
    """For customers whose stage changed: the day the stage began (stage_since), the new steps
    of the timeline (customer, from stage, to stage, day), and which customers redate their
    latest step (dormant or churned again, from a new date). A churn that went through
    dormancy first (from a stage before dormant, with a dormant day before the churn) is two
    steps, the dormant one dated on its dormant day, however many refreshes ran in between —
    so the timeline does not depend on how often, or how (full or incremental), the refreshes
    ran. A purchase-driven stage that is already the latest step keeps its day."""
    same = latest_stage == stage
    timed = (stage == DORMANT) | (stage == CHURNED)
    since = np.where(same & ~timed, latest_day, when)
    before_dormant = (latest_stage != DORMANT) & (latest_stage != CHURNED)
    via = ~same & (stage == CHURNED) & before_dormant & (dormant_day >= 0)
    via &= (dormant_day < when) & (dormant_day >= latest_day)
    new = ~same
    steps = (
        np.concatenate([customers[via], customers[new]]),
        np.concatenate([latest_stage[via], np.where(via, DORMANT, latest_stage)[new]]),
        np.concatenate([np.full(int(via.sum()), DORMANT, dtype=np.int64), stage[new]]),
        np.concatenate([dormant_day[via], when[new]]),
    )
    return since, steps, same & timed & (latest_day != when)


def score_all(
    session: Session, *, as_of: date, policy: LifecyclePolicy, zone: ZoneInfo
) -> ScoreResult:
    """Score every profile (the shop's interval and the quintiles over everyone)."""
    inputs, old = read_profiles(session, None)
    if inputs.customer.size == 0:
        return ScoreResult(0, 0, 0, policy.fallback_interval_days)
    scores = score(inputs, as_of_day=day_number(as_of), policy=policy, zone=zone)
    return apply_scores(session, inputs, old, scores)


def apply_scores(
    session: Session, inputs: Inputs, old: dict[str, NDArray[Any]], scores: Scores
) -> ScoreResult:
    """Write the scores that differ from `old`, and record the stage changes."""
    new = scores.columns
    changed = np.zeros(inputs.customer.size, dtype=bool)
    for name in OUTPUTS:
        changed |= _differs(new[name], old[name])
    moved = np.flatnonzero(new["stage"] != old["stage"])
    since = _reconcile_timeline(session, inputs.customer[moved], new["stage"][moved],
                                new["when"][moved], new["dormant_day"][moved])  # fmt: skip
    _write_scores(session, inputs.customer, new, np.flatnonzero(changed), moved, since)
    return ScoreResult(
        inputs.customer.size, int(changed.sum()), int(moved.size), scores.shop_interval
    )


def _differs(new: NDArray[Any], old: NDArray[Any]) -> NDArray[np.bool_]:
    same: NDArray[np.bool_] = new == old
    if new.dtype.kind == "f":
        same |= np.isnan(new) & (old < 0)
    return ~same


def _code(column: Any, names: tuple[str, ...]) -> Any:
    return case({name: code for code, name in enumerate(names)}, value=column, else_=-1)


def read_profiles(
    session: Session, customers: Ints | None
) -> tuple[Inputs, dict[str, NDArray[Any]]]:
    """What scoring reads of the profiles of `customers` (sorted; None: everyone), and their
    stored scores."""

    def day(column: Any) -> Any:
        return func.coalesce(epoch_seconds(column), -86_400)

    query = select(
        P.customer_id.label("customer"),
        func.coalesce(epoch_seconds(P.last_order_at), -1).label("last_seconds"),
        P.purchase_days.label("purchases"),
        P.net_revenue_fen.label("net"),
        float_column(P.mean_repeat_days).label("mean"),
        _code(P.order_stage, ORDER_STAGES).label("order_stage"),
        case((P.deleted_staff, 1), else_=0).label("deleted"),
        day(P.deleted_staff_on).label("deleted_on"),
        float_column(P.expected_interval_days).label("interval"),
        day(P.dormant_on).label("dormant_day"),
        day(P.churned_on).label("churned_day"),
        _code(P.stage, STAGES).label("stage"),
        *(func.coalesce(column, -1).label(column.key) for column in (P.rfm_r, P.rfm_f, P.rfm_m)),
        _code(P.rfm_segment, rfm.SEGMENTS).label("segment"),
    ).order_by(P.customer_id)
    floats = ("mean", "interval")
    if customers is None:
        columns = read_columns(session, query, floats=floats)
    else:
        parts = [
            read_columns(session, query.where(P.customer_id.in_(chunk)), floats=floats)
            for chunk in _chunks(customers)
        ]
        columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    for name in ("deleted_on", "dormant_day", "churned_day"):
        columns[name] //= 86_400
    mean = columns["mean"]
    inputs = Inputs(
        customer=columns["customer"],
        last_order_seconds=columns["last_seconds"],
        purchase_days=columns["purchases"],
        net_revenue_fen=columns["net"],
        mean_repeat_days=np.where(mean < 0, np.nan, mean),
        order_stage=columns["order_stage"],
        deleted_staff=columns["deleted"] == 1,
        deleted_staff_day=columns["deleted_on"],
    )
    return inputs, {name: columns[name] for name in OUTPUTS}


def _chunks(customers: Ints) -> list[list[int]]:
    """At least one (possibly empty) chunk, so that the columns are always defined."""
    return [
        customers[start : start + CHUNK].tolist()
        for start in range(0, max(customers.size, 1), CHUNK)
    ]


def _reconcile_timeline(
    session: Session, customers: Ints, stage: Ints, when: Ints, dormant_day: Ints
) -> Ints:
    """Record each stage change in the timeline, dated when it happened; the stage_since days."""
    if customers.size == 0:
        return np.zeros(0, dtype=np.int64)
    latest = _latest_transitions(session, customers)
    since, steps, redate = timeline(
        customers, stage, when, latest["stage"], latest["day"], dormant_day
    )
    if redate.any():
        session.execute(
            update(StageTransition),
            [{"id": row_id, "changed_on": day_date(day)}
             for row_id, day in zip(latest["id"][redate].tolist(), when[redate].tolist(),
                                    strict=True)],
        )  # fmt: skip
    insert_transitions(session, *merged_steps(steps))
    return since


def _latest_transitions(session: Session, customers: Ints) -> dict[str, Ints]:
    """Each customer's latest timeline step: stage (-1: none), day and row id."""
    result = {name: np.full(customers.size, -1, dtype=np.int64) for name in ("stage", "day", "id")}
    for start in range(0, customers.size, 5_000):
        chunk = customers[start : start + 5_000].tolist()
        newest = select(func.max(T.id)).where(T.customer_id.in_(chunk)).group_by(T.customer_id)
        rows = read_columns(
            session,
            select(
                T.customer_id.label("customer"),
                _code(T.to_stage, STAGES).label("stage"),
                epoch_seconds(T.changed_on).label("seconds"),
                T.id.label("id"),
            ).where(T.id.in_(newest)),
        )
        at = np.searchsorted(customers, rows["customer"])
        result["stage"][at] = rows["stage"]
        result["day"][at] = rows["seconds"] // 86_400
        result["id"][at] = rows["id"]
    return result


def _write_scores(
    session: Session,
    customers: Ints,
    new: dict[str, NDArray[Any]],
    changed: Ints,
    moved: Ints,
    since: Ints,
) -> None:
    if changed.size:
        values = {name: new[name][changed] for name in OUTPUTS}
        columns = [
            numbers(values["interval"]),
            dates(values["dormant_day"]),
            dates(values["churned_day"]),
            [STAGES[code] for code in values["stage"].tolist()],
            *(_optional(values[name]) for name in ("rfm_r", "rfm_f", "rfm_m")),
            [None if code < 0 else rfm.SEGMENTS[code] for code in values["segment"].tolist()],
            customers[changed].tolist(),
        ]
        update_rows(
            session, P.__tablename__, SCORE_COLUMNS, "customer_id", zip(*columns, strict=True)
        )
    if moved.size:
        rows = zip(dates(since), customers[moved].tolist(), strict=True)
        update_rows(session, P.__tablename__, ("stage_since",), "customer_id", rows)


SCORE_COLUMNS = (
    "expected_interval_days", "dormant_on", "churned_on", "stage", "rfm_r", "rfm_f", "rfm_m",
    "rfm_segment",
)  # fmt: skip


def _optional(values: Ints) -> list[int | None]:
    return [None if value < 0 else value for value in values.tolist()]


def scored_columns(scores: Scores, since: Ints) -> dict[str, NDArray[Any]]:
    """The columns `store.insert_profiles` writes for scored profiles."""
    columns = {name: scores.columns[name] for name in OUTPUTS}
    return columns | {"since": since}
