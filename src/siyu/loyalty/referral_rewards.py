"""Granting referral rewards: points (one ledger entry per side, `referral:<id>:<role>`) and,
when the rules name a template, a coupon per side (issue key `referral:<id>:<role>`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, cast, func, insert, literal, null, select, update
from sqlalchemy.orm import Session

from siyu.customers.tables import Customer
from siyu.db.types import UTCDateTime
from siyu.loyalty.coupons import get_template, insert_coupons
from siyu.loyalty.debits import LEDGER, LEDGER_COLUMNS
from siyu.loyalty.rules import get_rules
from siyu.loyalty.tables import Referral

CHUNK = 5_000
ROLES = ("inviter", "invitee")


def person(customer_id: Any) -> Any:
    """The customer, or whom OneID merged them into (orders and ledgers move with a merge)."""
    merged = (
        select(Customer.merged_into_id)
        .where(Customer.id == customer_id)
        .correlate_except(Customer)
        .scalar_subquery()
    )
    return func.coalesce(merged, customer_id)


def grant_rewards(session: Session, *, referral_ids: Sequence[int], now: datetime) -> None:
    rules = get_rules(session)
    points = {"inviter": rules.inviter_reward_points, "invitee": rules.invitee_reward_points}
    templates = {
        "inviter": rules.inviter_coupon_template_id,
        "invitee": rules.invitee_coupon_template_id,
    }
    for start in range(0, len(referral_ids), CHUNK):
        chunk = list(referral_ids[start : start + CHUNK])
        for role in ROLES:
            customer = Referral.inviter_id if role == "inviter" else Referral.invitee_id
            if points[role] > 0:
                _grant_points(session, chunk, role, customer, points[role], now)
            template_id = templates[role]
            if template_id is not None:
                holders = [
                    (int(holder), f"referral:{referral_id}:{role}")
                    for referral_id, holder in session.execute(
                        select(Referral.id, person(customer))
                        .where(Referral.id.in_(chunk))
                        .order_by(Referral.id)
                    )
                ]
                template = get_template(session, template_id)
                insert_coupons(session, template, holders, "referral", now)
        session.execute(
            update(Referral)
            .where(Referral.id.in_(chunk))
            .values(status="rewarded", rewarded_at=now)
            .execution_options(synchronize_session=False)
        )


def _grant_points(
    session: Session, chunk: list[int], role: str, customer: Any, points: int, now: datetime
) -> None:
    moment = literal(now, UTCDateTime())
    key = literal("referral:") + cast(Referral.id, String) + literal(f":{role}")
    rows = select(
        person(customer),
        literal("referral"),
        literal(points),
        literal(0),
        moment,
        cast(null(), BigInteger),
        Referral.id,
        key,
        literal(f"referral reward ({role})"),
        literal("system"),
        moment,
    ).where(Referral.id.in_(chunk))
    session.execute(insert(LEDGER).from_select(LEDGER_COLUMNS, rows))
