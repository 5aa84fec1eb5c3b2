"""Figures for the console dashboard that the KPIs do not already give."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from siyu.accounts.tables import StaffAccount, WecomContact
from siyu.analytics.tables import STAGES, CustomerProfile


def stage_counts(session: Session, scope: ColumnElement[bool]) -> dict[str, int]:
    """Customers per lifecycle stage, in funnel order (within an access scope)."""
    rows = dict(
        session.execute(
            select(CustomerProfile.stage, func.count()).where(scope).group_by(CustomerProfile.stage)
        ).all()
    )
    return {stage: int(rows.get(stage, 0)) for stage in STAGES}


def clv_histogram(session: Session, scope: ColumnElement[bool], bins: int = 12) -> dict[str, Any]:
    """The distribution of predicted 12-month CLV among buyers (yuan), in equal-count-ish bins
    on a log scale, so a long tail does not flatten the chart."""
    values = (
        np.array(
            session.scalars(
                select(CustomerProfile.clv_fen).where(scope, CustomerProfile.clv_fen.is_not(None))
            ).all(),
            dtype=np.float64,
        )
        / 100
    )
    if values.size == 0:
        return {"edges": [], "counts": []}
    upper = max(float(values.max()), 1.0)
    edges = np.concatenate(([0.0], np.geomspace(1.0, upper, bins)))
    counts, _ = np.histogram(values, bins=edges)
    return {"edges": [round(float(edge), 2) for edge in edges], "counts": counts.tolist()}


def staff_overview(session: Session) -> list[dict[str, Any]]:
    """Each shopping guide's WeCom account: live contacts, contacts lost, and their customers'
    net revenue."""
    live = func.sum(
        case((WecomContact.removed_at.is_(None) & WecomContact.id.is_not(None), 1), else_=0)
    )
    rows = session.execute(
        select(
            StaffAccount.userid, StaffAccount.name, func.count(WecomContact.id), live,
            func.coalesce(func.sum(CustomerProfile.net_revenue_fen), 0),
        )
        .outerjoin(WecomContact, WecomContact.staff_id == StaffAccount.id)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == WecomContact.customer_id)
        .group_by(StaffAccount.id, StaffAccount.userid, StaffAccount.name)
        .order_by(StaffAccount.userid)
    ).all()  # fmt: skip
    return [
        {"userid": userid, "name": name, "contacts": int(total), "live": int(alive or 0),
         "lost": int(total) - int(alive or 0), "net_revenue": int(revenue) / 100}
        for userid, name, total, alive, revenue in rows
    ]  # fmt: skip
