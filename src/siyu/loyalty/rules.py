"""The programme's rules (one row), read as a frozen dataclass and written whole."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy.orm import Session

from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.tables import CouponTemplate, LoyaltyRulesRow

RULES_ID = 1


@dataclass(frozen=True, slots=True)
class LoyaltyRules:
    points_per_yuan: int = 1
    points_validity_months: int = 12
    tier_window_months: int = 12  # rolling window for tier thresholds
    tier_period_months: int = 12  # the tier year
    tier_grace_days: int = 30  # after the tier year, before a downgrade
    invite_base_url: str = "https://example.com/invite"
    attribution_days: int = 30  # invitee's first paid order must fall within this
    inviter_reward_points: int = 200
    invitee_reward_points: int = 100
    inviter_coupon_template_id: int | None = None
    invitee_coupon_template_id: int | None = None
    reward_cap_per_day: int = 5
    reward_cap_per_month: int = 30
    invites_per_hour_limit: int = 10  # more than this in an hour is flagged for review

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


NON_NEGATIVE = (
    "inviter_reward_points",
    "invitee_reward_points",
    "tier_grace_days",
    "reward_cap_per_day",
    "reward_cap_per_month",
)
POSITIVE = (
    "points_per_yuan",
    "points_validity_months",
    "tier_window_months",
    "tier_period_months",
    "attribution_days",
    "invites_per_hour_limit",
)


def get_rules(session: Session) -> LoyaltyRules:
    """The rules in force (the defaults until someone sets them; reading never writes)."""
    row = session.get(LoyaltyRulesRow, RULES_ID)
    if row is None:
        return LoyaltyRules()
    return LoyaltyRules(**{item.name: getattr(row, item.name) for item in fields(LoyaltyRules)})


def set_rules(session: Session, rules: LoyaltyRules, *, operator: str) -> LoyaltyRules:
    check_rules(session, rules)
    row = session.get(LoyaltyRulesRow, RULES_ID)
    if row is None:
        row = LoyaltyRulesRow(id=RULES_ID)
        session.add(row)
    for name, value in rules.as_dict().items():
        setattr(row, name, value)
    row.updated_by = operator
    session.flush()
    return rules


def check_rules(session: Session, rules: LoyaltyRules) -> None:
    for name in POSITIVE:
        if getattr(rules, name) <= 0:
            raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, f"{name} must be positive")
    for name in NON_NEGATIVE:
        if getattr(rules, name) < 0:
            raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, f"{name} must not be negative")
    if not rules.invite_base_url.startswith(("https://", "http://")):
        raise LoyaltyError(
            LoyaltyErrorCode.INVALID_RULE, "invite_base_url must start with https:// or http://"
        )
    for name in ("inviter_coupon_template_id", "invitee_coupon_template_id"):
        template_id = getattr(rules, name)
        if template_id is not None and session.get(CouponTemplate, template_id) is None:
            raise LoyaltyError(
                LoyaltyErrorCode.UNKNOWN_TEMPLATE, f"{name}: no coupon template {template_id}"
            )


def update_rules(session: Session, changes: dict[str, Any], *, operator: str) -> LoyaltyRules:
    """The rules with `changes` applied (unknown names are refused)."""
    unknown = sorted(set(changes) - set(LoyaltyRules.__dataclass_fields__))
    if unknown:
        message = f"unknown rule {unknown[0]!r}"
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, message)
    return set_rules(session, replace(get_rules(session), **changes), operator=operator)
