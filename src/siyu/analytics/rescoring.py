"""Incremental scoring: only the profiles whose date-dependent scores can have moved.

After an incremental refresh has recomputed the customers touched since the last refresh, a
profile's scores (expected interval, dormant and churned days, stage, RFM, segment) can move
only when

- its own figures changed: the customers just recomputed;
- one of its R, F, M quintiles moved: quintiles rank every buyer, so new buyers and purchases
  shift the boundaries. Four values per dimension decide every score (`rfm.quintile_thresholds`):
  they are read off the rank indexes (`ORDER BY … OFFSET`), compared with those the last refresh
  stored, and the buyers between an old and a new threshold (an index range each) are re-scored;
  a ranking depends on last-order days, not on the as-of day, so time alone moves none;
- the refresh date crossed its dormant or churned day: the profiles with a threshold between
  the last refresh's as-of day and this one (one range query);
- the shop's interval moved: it does not here. It is a shop-wide estimate (the median own
  interval of repeat buyers), made by each full refresh and kept in `analytics_state` until the
  next, like the CLV model. A refresh without a stored one scores everyone (`score_all`).

Everyone else keeps the scores they have, which are the scores scoring everyone would give them
with the same shop interval: an incremental refresh equals a full one made with that interval.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, func, not_, or_, select, text
from sqlalchemy.orm import Session

from siyu.analytics import rfm
from siyu.analytics.days import day_date, day_number, local_days
from siyu.analytics.facts import read_columns
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.scoring import (
    Inputs,
    Ints,
    ScoreResult,
    apply_scores,
    read_profiles,
    score,
)
from siyu.analytics.store import read_state, write_state
from siyu.analytics.tables import RANK_INDEXES, CustomerProfile

P = CustomerProfile
THRESHOLDS = "rfm_thresholds"
# each dimension's column and the buyers its rank index holds, in the index's own words: SQLite
# uses a partial index only where the query repeats its condition's text (F's says "buyers" in
# other words, so its index never stands in for the other two, which would sort a million rows)
RANKED = {name: (P.__table__.c[column], text(where)) for name, column, where in RANK_INDEXES}


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
    thresholds = rfm_thresholds(session, zone)
    before = stored_thresholds(session, zone)
    if before is None:
        raise ValueError("no stored RFM thresholds for this time zone: refresh in full")
    moved = _between(session, before, thresholds, zone)
    keep_thresholds(session, zone, thresholds)
    affected = np.union1d(np.union1d(changed, moved), _crossing(session, last_as_of, as_of))
    inputs, old = read_profiles(session, affected.astype(np.int64))
    buyer = inputs.purchase_days > 0
    r, f, m = (
        np.where(buyer, rfm.threshold_scores(value, thresholds[name]), -1)
        for name, value in _rank_values(inputs, zone).items()
    )
    scores = score(
        inputs, as_of_day=day_number(as_of), policy=policy, zone=zone,
        shop_interval=shop_interval, rfm_scores=(r, f, m),
    )  # fmt: skip
    return apply_scores(session, inputs, old, scores)


def _rank_values(inputs: Inputs, zone: ZoneInfo) -> dict[str, Ints]:
    """What R, F and M rank (R: the local day of the last order)."""
    return {
        "r": local_days(inputs.last_order_seconds, zone),
        "f": inputs.purchase_days,
        "m": inputs.net_revenue_fen,
    }


def thresholds_of(inputs: Inputs, zone: ZoneInfo) -> dict[str, rfm.Thresholds]:
    """The thresholds among everyone's figures in memory (a full refresh has them all)."""
    buyer = inputs.purchase_days > 0
    return {
        name: rfm.quintile_thresholds(np.sort(values[buyer]))
        for name, values in _rank_values(inputs, zone).items()
    }


def rfm_thresholds(session: Session, zone: ZoneInfo) -> dict[str, rfm.Thresholds]:
    """Each dimension's four quintile thresholds among today's buyers (R as local days)."""
    count = int(session.scalar(select(func.count()).select_from(P).where(RANKED["f"][1])) or 0)
    positions = rfm.threshold_positions(count)
    result: dict[str, rfm.Thresholds] = {}
    for name, (column, buyers) in RANKED.items():
        ranked = select(column).where(buyers).order_by(column).limit(1)  # read off the index
        values = [None if at is None else session.scalar(ranked.offset(at)) for at in positions]
        result[name] = tuple(None if value is None else _number(value, zone) for value in values)
    return result


def _number(value: Any, zone: ZoneInfo) -> int:
    """A ranked value as a number: a last-order time as its local day."""
    if isinstance(value, datetime):
        return int(local_days(np.array([int(value.timestamp())], dtype=np.int64), zone)[0])
    return int(value)


def keep_thresholds(
    session: Session, zone: ZoneInfo, thresholds: dict[str, rfm.Thresholds] | None = None
) -> None:
    """Keep the thresholds scored with (today's when not given) for the next incremental
    refresh, in `zone`'s days."""
    found = thresholds or rfm_thresholds(session, zone)
    value = {"zone": zone.key, **{name: list(values) for name, values in found.items()}}
    write_state(session, THRESHOLDS, json.dumps(value))


def stored_thresholds(session: Session, zone: ZoneInfo) -> dict[str, rfm.Thresholds] | None:
    """Those the last refresh kept; None when none were kept, or in another time zone."""
    text = read_state(session, THRESHOLDS)
    stored = json.loads(text) if text else None
    if stored is None or stored.get("zone") != zone.key:
        return None
    return {name: tuple(stored[name]) for name in RANKED}


def _between(
    session: Session,
    before: dict[str, rfm.Thresholds],
    after: dict[str, rfm.Thresholds],
    zone: ZoneInfo,
) -> Ints:
    """The buyers whose value lies between a threshold's old and new value: on one side of
    it before, on the other now (one index range each)."""
    found: list[Ints] = []
    for name, (column, buyers) in RANKED.items():
        for old, new in zip(before[name], after[name], strict=True):
            if old == new:
                continue
            high = max(v for v in (old, new) if v is not None)  # None is below every value
            low = None if old is None or new is None else min(old, new)
            conditions = [buyers, not_(_above(column, high, name, zone))]
            if low is not None:
                conditions.append(_above(column, low, name, zone))
            query = select(P.customer_id.label("customer")).where(*conditions)
            found.append(read_columns(session, query)["customer"])
    return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _above(column: Any, threshold: int, name: str, zone: ZoneInfo) -> Any:
    """The column's value exceeds the threshold (for R: its local day is later)."""
    if name != "r":
        return column > threshold
    next_day = day_date(threshold + 1)  # a later day begins at the next local midnight
    return column >= datetime.combine(next_day, time(), tzinfo=zone)


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
