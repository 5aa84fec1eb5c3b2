"""Incremental scoring: only the profiles whose date-dependent scores can have moved.

After an incremental refresh has recomputed the customers touched since the last refresh, a
profile's scores (expected interval, dormant and churned days, stage, RFM, segment) can move
only when

- its own figures changed: the customers just recomputed;
- one of its R, F, M quintiles moved: quintiles rank every buyer, so new buyers and purchases
  shift the boundaries. Every buyer's three RFM values and stored scores are read (a few numbers
  each) and ranked again; the buyers whose R, F or M differ from the stored ones are re-scored;
- the refresh date crossed its dormant or churned day: the profiles with a threshold between
  the last refresh's as-of day and this one (one range query);
- the shop's interval moved: it does not here. It is a shop-wide estimate (the median own
  interval of repeat buyers), made by each full refresh and kept in `analytics_state` until the
  next, like the CLV model. A refresh without a stored one scores everyone (`score_all`).

Everyone else keeps the scores they have, which are the scores scoring everyone would give them
with the same shop interval: an incremental refresh equals a full one made with that interval.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from siyu.analytics.days import day_number, local_days
from siyu.analytics.facts import read_columns
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.scoring import (
    Ints,
    ScoreResult,
    apply_scores,
    read_profiles,
    rfm_quintiles,
    score,
)
from siyu.analytics.tables import CustomerProfile
from siyu.db.sql import epoch_seconds

P = CustomerProfile
RFM = ((P.rfm_r, 100), (P.rfm_f, 10), (P.rfm_m, 1))


def rescore(
    session: Session,
    changed: Ints,
    *,
    as_of: date,
    last_as_of: date,
    shop_interval: float,
    policy: LifecyclePolicy,
    zone: ZoneInfo,
) -> ScoreResult:
    """Score the profiles of `changed` (sorted) and those whose scores moved otherwise."""
    as_of_day = day_number(as_of)
    buyers = _buyers(session)
    last_day = local_days(buyers["last_seconds"], zone)
    quintiles = rfm_quintiles(as_of_day - last_day, buyers["purchases"], buyers["net"])
    r, f, m = quintiles
    moved = buyers["rfm"] != (r * 100 + f * 10 + m)
    affected = np.union1d(changed, buyers["customer"][moved])
    affected = np.union1d(affected, _crossing(session, last_as_of, as_of)).astype(np.int64)
    inputs, old = read_profiles(session, affected)
    r, f, m = (_take(buyers["customer"], values, inputs.customer) for values in (r, f, m))
    scores = score(
        inputs, as_of_day=as_of_day, policy=policy, zone=zone, shop_interval=shop_interval,
        rfm_scores=(r, f, m),
    )  # fmt: skip
    return apply_scores(session, inputs, old, scores)


def _take(customers: Ints, values: Ints, wanted: Ints) -> Ints:
    """`values` (by sorted `customers`) of the `wanted` customers; -1 for those not there."""
    if customers.size == 0:
        return np.full(wanted.size, -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(customers, wanted), customers.size - 1)
    return np.where(customers[at] == wanted, values[at], -1).astype(np.int64)


def _buyers(session: Session) -> dict[str, Any]:
    """Every buyer's RFM values and stored scores as one number (R × 100 + F × 10 + M, 0 where
    none: fewer values to read), by customer."""
    stored = sum((func.coalesce(column, 0) * weight for column, weight in RFM), start=literal(0))
    query = (
        select(
            P.customer_id.label("customer"),
            func.coalesce(epoch_seconds(P.last_order_at), -1).label("last_seconds"),
            P.purchase_days.label("purchases"),
            P.net_revenue_fen.label("net"),
            stored.label("rfm"),
        )
        .where(P.purchase_days > 0)
        .order_by(P.customer_id)
    )
    return read_columns(session, query)


def _crossing(session: Session, last_as_of: date, as_of: date) -> Ints:
    """Profiles with a dormant or churned day in (earlier, later] of the two as-of days: their
    stage on one day differs from the other, whichever way the date moved."""
    low, high = sorted((last_as_of, as_of))
    if low == high:
        return np.zeros(0, dtype=np.int64)
    query = select(P.customer_id.label("customer")).where(
        or_(
            and_(P.dormant_on > low, P.dormant_on <= high),
            and_(P.churned_on > low, P.churned_on <= high),
        )
    )
    return np.sort(read_columns(session, query)["customer"])
