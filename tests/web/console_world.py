"""Helpers for the console tests: outbox messages planned for the fixture merchant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from siyu.db.engine import transaction
from siyu.engage.content import Content
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.planner import PlanBatch, PlanReport, plan

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=ZONE)  # a Monday, before the quiet hours end


def plan_messages(
    engine: Engine, customer_ids: Sequence[int], *, batches: int = 1, now: datetime = MONDAY
) -> PlanReport:
    """`batches` console messages (one per campaign) to each customer, planned with the
    default policy (the stored settings apply over it)."""
    work = [
        PlanBatch(
            source=f"campaign:{number}",
            channel="console",
            slot="d1",
            content=Content(f"campaign {number} says hello"),
            not_before=now,
            expires_at=now + timedelta(days=1),
            customer_ids=list(customer_ids),
        )
        for number in range(1, batches + 1)
    ]
    with transaction(engine) as session:
        return plan(session, work, policy=ContactPolicy(), now=now)
