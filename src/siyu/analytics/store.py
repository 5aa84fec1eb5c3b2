"""Writing computed profiles and their order-driven timeline (delete + insert per customer)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from siyu.analytics.compute import NEVER, Computed
from siyu.analytics.days import day_date
from siyu.analytics.lifecycle import ORDER_STAGES
from siyu.analytics.tables import AnalyticsState, CustomerProfile, StageTransition
from siyu.commerce.tables import Shop

CHUNK = 5_000


def delete_profiles(session: Session, customer_ids: Sequence[int] | None) -> None:
    if customer_ids is None:
        session.execute(delete(StageTransition))
        session.execute(delete(CustomerProfile))
        return
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        session.execute(delete(StageTransition).where(StageTransition.customer_id.in_(chunk)))
        session.execute(delete(CustomerProfile).where(CustomerProfile.customer_id.in_(chunk)))


def insert_profiles(session: Session, computed: Computed) -> None:
    platforms = dict(session.execute(select(Shop.id, Shop.platform)).all())
    rows = [_row(computed, index, platforms) for index in range(computed.customers.size)]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(CustomerProfile), rows[start : start + CHUNK])
    _insert_transitions(session, computed)


def _row(computed: Computed, index: int, platforms: dict[int, str]) -> dict[str, Any]:
    columns = computed.columns
    orders = int(columns["orders"][index])
    categories = computed.json_columns["category_scores"][index]
    shop = int(columns["acquisition_platform"][index])
    return {
        "customer_id": int(computed.customers[index]),
        "orders": orders,
        "purchase_days": int(columns["purchase_days"][index]),
        "items": int(columns["items"][index]),
        "net_revenue_fen": int(columns["net_revenue_fen"][index]),
        "aov_fen": int(columns["aov_fen"][index]),
        "first_order_at": _moment(int(columns["first_order_seconds"][index]), NEVER),
        "last_order_at": _moment(int(columns["last_order_seconds"][index]), -1),
        "mean_repeat_days": _number(columns["mean_repeat_days"][index]),
        "median_repeat_days": _number(columns["median_repeat_days"][index]),
        "expected_interval_days": _number(columns["own_interval_days"][index]),
        "by_platform": computed.json_columns["by_platform"][index],
        "by_shop": computed.json_columns["by_shop"][index],
        "category_scores": categories,
        "top_category": next(iter(categories), None),
        "acquisition_channel": _acquisition(columns, index, platforms.get(shop)),
        "has_value_behaviour": bool(columns["has_value_behaviour"][index]),
        "last_event_at": _moment(int(columns["last_event_seconds"][index]), -1),
        "reachable": bool(columns["reachable"][index]),
        "deleted_staff": bool(columns["deleted_staff"][index]),
        "deleted_staff_on": _date(int(columns["deleted_staff_day"][index])),
        "order_stage": ORDER_STAGES[int(columns["order_stage_code"][index])],
        "stage": "",  # scored next, over everyone
    }


def _acquisition(columns: dict[str, Any], index: int, platform: str | None) -> str | None:
    if platform is not None:
        return platform
    if columns["has_contact"][index]:
        return "wecom"
    if columns["last_event_seconds"][index] >= 0:
        return "behaviour"
    return None


def _insert_transitions(session: Session, computed: Computed) -> None:
    customers, days, codes = computed.transitions
    rows = []
    previous: dict[int, str] = {}
    prospects = computed.prospect_days
    for position in np.flatnonzero(prospects != NEVER):
        customer = int(computed.customers[position])
        rows.append(_transition(customer, None, "prospect", int(prospects[position])))
        previous[customer] = "prospect"
    for customer, day, code in zip(customers.tolist(), days.tolist(), codes.tolist(), strict=True):
        stage = ORDER_STAGES[code]
        rows.append(_transition(customer, previous.get(customer), stage, day))
        previous[customer] = stage
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(StageTransition), rows[start : start + CHUNK])


def _transition(customer: int, from_stage: str | None, to_stage: str, day: int) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "from_stage": from_stage,
        "to_stage": to_stage,
        "changed_on": day_date(day),
    }


def _moment(seconds: int, missing: int) -> datetime | None:
    return None if seconds == missing else datetime.fromtimestamp(seconds, UTC)


def _date(day: int) -> date | None:
    return None if day < 0 else day_date(day)


def _number(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def read_state(session: Session, key: str) -> str | None:
    row = session.get(AnalyticsState, key)
    return row.value if row else None


def write_state(session: Session, key: str, value: str) -> None:
    row = session.get(AnalyticsState, key)
    if row is None:
        session.add(AnalyticsState(key=key, value=value))
    else:
        row.value = value
    session.flush()
