"""The planner's dry run: the same report as planning, and nothing written."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from siyu.db.engine import transaction
from siyu.engage.content import Content
from siyu.engage.governor.consent import set_consent
from siyu.engage.planner import PlanBatch, plan
from siyu.engage.tables import MessageContent, OutboxMessage
from tests.engage.test_planner import NOW, POLICY, customers


def written(engine: Engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return (
            int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0),
            int(session.scalar(select(func.count()).select_from(MessageContent)) or 0),
        )


def test_a_dry_run_reports_what_planning_does_and_writes_nothing(engine: Engine) -> None:
    ids = customers(engine, 4)
    with transaction(engine) as session:
        set_consent(session, customer_id=ids[0], channel="console", purpose="marketing",
                    granted=False, source="test", at=NOW)  # fmt: skip
    batches = [
        PlanBatch(
            f"campaign:{n}",
            "console",
            "d1",
            Content(f"第{n}条"),
            NOW,
            NOW + timedelta(days=3),
            customer_ids=ids,
        )
        for n in (1, 2)
    ]
    with transaction(engine) as session:
        dry = plan(session, batches, policy=POLICY, now=NOW, dry_run=True).as_dict()
    assert written(engine) == (0, 0)
    with transaction(engine) as session:
        real = plan(session, batches, policy=POLICY, now=NOW).as_dict()
    for report in (dry, real):
        del report["seconds"], report["timings"]
    assert dry == real
    assert real == {
        "requested": 8, "already_planned": 0, "queued": 6, "planned": 0,
        "deferred": 6,  # 08:00 is quiet: first ones at 10:00, second ones on the next day
        "suppressed": {"no consent for marketing by console": 2},
    }  # fmt: skip
    assert written(engine) == (8, 2)
