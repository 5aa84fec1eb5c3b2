"""A small merchant for campaign tests: customers with lifecycle stages in a saved segment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from siyu.analytics.tables import CustomerProfile
from siyu.db.engine import transaction
from siyu.engage.campaigns.tables import Campaign, CampaignRecipient, CampaignVariant
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.tables import MessageContent, OutboxMessage
from siyu.segments.tables import Segment, SegmentMember
from tests.builders import make_customer

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday, 10:00 local
OPEN = ContactPolicy(quiet_start=0, quiet_end=0, default_hour=None)  # no quiet hours


@dataclass(frozen=True)
class Audience:
    segment: str
    customers: list[int]  # in creation order
    stages: dict[int, str]


def make_audience(
    engine: Engine, stages: dict[str, int], *, segment: str = "春季老客", names: bool = True
) -> Audience:
    """`stages`: stage → how many customers; all of them members of `segment`."""
    with transaction(engine) as session:
        row = Segment(
            name=segment,
            rule={"version": 1, "rule": {"field": "stage", "op": "in", "value": ["loyal"]}},
        )
        session.add(row)
        session.flush()
        ids, by_id = [], {}
        for stage, count in stages.items():
            for _ in range(count):
                customer = make_customer(session)
                if not names:
                    customer.display_name = None
                add_member(session, row.id, customer.id, stage)
                ids.append(customer.id)
                by_id[customer.id] = stage
    return Audience(segment, ids, by_id)


def add_member(session: Session, segment_id: int, customer_id: int, stage: str | None) -> None:
    if stage is not None:
        session.add(CustomerProfile(customer_id=customer_id, stage=stage))
    session.add(
        SegmentMember(segment_id=segment_id, customer_id=customer_id, entered_at=datetime.now(UTC))
    )
    session.flush()


def table_counts(engine: Engine) -> dict[str, int]:
    tables = (Campaign, CampaignVariant, CampaignRecipient, OutboxMessage, MessageContent)
    with transaction(engine) as session:
        return {
            table.__tablename__: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in tables
        }
