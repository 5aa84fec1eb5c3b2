"""Member levels (configurable, with a default set) and reading a customer's tier."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from siyu.loyalty.tables import MemberTier, TierLevel


@dataclass(frozen=True, slots=True)
class TierLevelSpec:
    """A level as configured. A threshold of None is not used; the lowest rank must qualify
    everyone (a zero threshold)."""

    code: str
    name: str
    rank: int
    min_spend_fen: int | None
    min_orders: int | None
    points_multiplier_percent: int = 100
    discount_percent: int = 0
    free_shipping: bool = False
    exclusive_activities: bool = False
    priority_service: bool = False

    @property
    def privileges(self) -> list[str]:
        granted = [f"{self.discount_percent}% off"] if self.discount_percent else []
        for name in ("free_shipping", "exclusive_activities", "priority_service"):
            if getattr(self, name):
                granted.append(name.replace("_", " "))
        return granted

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"privileges": self.privileges}


DEFAULT_LEVELS = (
    TierLevelSpec("normal", "普通", 0, 0, None),
    TierLevelSpec("silver", "银卡", 1, 100_000, 3, 120, 2),
    TierLevelSpec("gold", "金卡", 2, 500_000, 8, 150, 5, True, True),
    TierLevelSpec("black_gold", "黑金", 3, 2_000_000, 20, 200, 10, True, True, True),
)
SPEC_FIELDS = tuple(TierLevelSpec.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class MemberTierView:
    customer_id: int
    level: TierLevelSpec
    since: datetime
    period_ends_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "tier": self.level.code,
            "name": self.level.name,
            "rank": self.level.rank,
            "since": self.since,
            "period_ends_at": self.period_ends_at,
            "privileges": self.level.privileges,
        }


def spec_of(level: TierLevel) -> TierLevelSpec:
    return TierLevelSpec(**{name: getattr(level, name) for name in SPEC_FIELDS})


def ensure_default_levels(session: Session) -> bool:
    """Create the default levels if none exist (never touches a configured set)."""
    if session.scalar(select(func.count()).select_from(TierLevel)):
        return False
    session.add_all(TierLevel(**asdict(spec)) for spec in DEFAULT_LEVELS)
    session.flush()
    return True


def list_levels(session: Session) -> list[TierLevelSpec]:
    ensure_default_levels(session)
    return [spec_of(level) for level in session.scalars(select(TierLevel).order_by(TierLevel.rank))]


def set_level(session: Session, spec: TierLevelSpec) -> TierLevelSpec:
    """Create or change the level with `spec.code`."""
    _check_spec(spec)
    ensure_default_levels(session)
    level = session.scalars(select(TierLevel).where(TierLevel.code == spec.code)).one_or_none()
    clash = session.scalars(select(TierLevel).where(TierLevel.rank == spec.rank)).one_or_none()
    if clash is not None and clash is not level:
        message = f"rank {spec.rank} is already level {clash.code!r}"
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, message)
    if level is None:
        level = TierLevel(code=spec.code)
        session.add(level)
    for name, value in asdict(spec).items():
        setattr(level, name, value)
    session.flush()
    lowest = spec_of(session.scalars(select(TierLevel).order_by(TierLevel.rank).limit(1)).one())
    if lowest.min_spend_fen != 0 and lowest.min_orders != 0:
        message = f"the lowest level {lowest.code!r} must qualify everyone (a zero threshold)"
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, message)
    return spec


def _check_spec(spec: TierLevelSpec) -> None:
    problems = []
    if not spec.code or not spec.name:
        problems.append("code and name are required")
    if spec.rank < 0:
        problems.append("rank must not be negative")
    if spec.min_spend_fen is None and spec.min_orders is None:
        problems.append("give a spend or an order-count threshold")
    if (spec.min_spend_fen or 0) < 0 or (spec.min_orders or 0) < 0:
        problems.append("thresholds must not be negative")
    if spec.points_multiplier_percent <= 0:
        problems.append("the points multiplier must be positive")
    if not 0 <= spec.discount_percent <= 100:
        problems.append("the discount is a percentage from 0 to 100")
    if problems:
        raise LoyaltyError(LoyaltyErrorCode.INVALID_RULE, f"level {spec.code!r}: {problems[0]}")


def tier_of(session: Session, customer_id: int) -> MemberTierView | None:
    """The customer's current tier (None before the first recomputation covers them)."""
    row = session.execute(
        select(MemberTier, TierLevel)
        .join(TierLevel, TierLevel.id == MemberTier.tier_id)
        .where(MemberTier.customer_id == customer_id)
    ).one_or_none()
    if row is None:
        return None
    member, level = row
    return MemberTierView(customer_id, spec_of(level), member.since, member.period_ends_at)
