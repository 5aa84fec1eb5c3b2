"""Loyalty tables: tiers, the points ledger, coupons, referrals, distributors and their rules.

Ledgers (`points_ledger`, `commission_ledger`) are append-only: rows are inserted, never
updated or deleted (OneID merges move a person's entries, which changes only `customer_id`).
Balances are sums over them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, sql_in, updated_at_column
from siyu.db.types import Id, UTCDateTime

TIER_CHANGES = ("joined", "upgrade", "downgrade")
POINTS_CREDITS = ("earn", "referral")
POINTS_DEBITS = ("reverse", "redeem", "expire", "clawback")
COUPON_KINDS = ("amount_off", "percent_off")
COUPON_STATUSES = ("issued", "redeemed", "expired", "revoked")
COUPON_SOURCES = ("segment", "journey", "referral", "manual")
REFERRAL_STATUSES = ("pending", "qualified", "rewarded", "clawed_back", "rejected", "flagged")
COMMISSION_KINDS = ("earn", "clawback", "payout", "adjust")


class TierLevel(Base):
    """A member level and its privileges. A customer qualifies for a level when their rolling
    net spend reaches `min_spend_fen` or their order count reaches `min_orders` (NULL: that
    threshold is not used). The lowest rank qualifies everyone."""

    __tablename__ = "tier_levels"
    __table_args__ = (
        CheckConstraint("rank >= 0", name="rank"),
        CheckConstraint("points_multiplier_percent > 0", name="multiplier"),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount"),
    )

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    rank: Mapped[int] = mapped_column(unique=True)
    min_spend_fen: Mapped[int | None] = mapped_column(BigInteger)
    min_orders: Mapped[int | None] = mapped_column()
    points_multiplier_percent: Mapped[int] = mapped_column(default=100)
    discount_percent: Mapped[int] = mapped_column(default=0)
    free_shipping: Mapped[bool] = mapped_column(default=False)
    exclusive_activities: Mapped[bool] = mapped_column(default=False)
    priority_service: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()


class MemberTier(Base):
    """Each live customer's current tier (segments join this on customer_id). The tier year
    runs to `period_ends_at`; a downgrade waits until it has ended plus the grace period."""

    __tablename__ = "member_tiers"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    tier_id: Mapped[int] = mapped_column(Id, ForeignKey("tier_levels.id"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    period_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = updated_at_column()


class TierChange(Base):
    """Tier history: one row per change, with the figures that decided it. Levels are kept by
    code, as they were then (a record, unaffected by later changes to the levels)."""

    __tablename__ = "tier_history"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(TIER_CHANGES)})", name="kind"),
        Index("ix_tier_history_customer_id_effective_at", "customer_id", "effective_at"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    from_tier: Mapped[str | None] = mapped_column(String(32))  # level codes, as they were
    to_tier: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    spend_fen: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()


class PointsAccount(Base):
    """The per-customer lock row: writers that take points away lock it first (PostgreSQL
    `FOR UPDATE`). It holds no balance — the balance is the ledger sum."""

    __tablename__ = "points_accounts"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()


class PointsEntry(Base):
    """One points movement. Credits are lots that expire `points_validity_months` after
    `occurred_at`; debits take the soonest-expiring points first. `shortfall` is what a
    reversal or claw-back wanted but could not take because the balance was short."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        CheckConstraint(
            f"(kind IN ({sql_in(POINTS_CREDITS)}) AND points > 0)"
            f" OR (kind IN ({sql_in(POINTS_DEBITS)}) AND points <= 0)"
            " OR (kind = 'adjust' AND points <> 0)",
            name="sign",
        ),
        CheckConstraint("shortfall >= 0", name="shortfall"),
        Index("ix_points_ledger_customer_id_occurred_at", "customer_id", "occurred_at", "points"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)
    shortfall: Mapped[int] = mapped_column(BigInteger, default=0)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    order_id: Mapped[int | None] = mapped_column(Id, ForeignKey("orders.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(Id, ForeignKey("referrals.id"), index=True)
    entry_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    operator: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = created_at_column()


class CouponTemplate(Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'amount_off' AND amount_off_fen > 0 AND percent_off IS NULL)"
            " OR (kind = 'percent_off' AND percent_off BETWEEN 1 AND 99"
            " AND amount_off_fen IS NULL)",
            name="kind",
        ),
        CheckConstraint("valid_days > 0 AND per_customer_limit > 0", name="limits"),
    )

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_off_fen: Mapped[int | None] = mapped_column(BigInteger)
    percent_off: Mapped[int | None] = mapped_column()
    max_discount_fen: Mapped[int | None] = mapped_column(BigInteger)  # the cap of a percent off
    min_spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 满 X 可用
    valid_days: Mapped[int] = mapped_column()
    per_customer_limit: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = created_at_column()


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(COUPON_STATUSES)})", name="status"),
        CheckConstraint(f"source IN ({sql_in(COUPON_SOURCES)})", name="source"),
        UniqueConstraint("template_id", "customer_id", "issue_key"),
        Index("ix_coupons_status_valid_until", "status", "valid_until"),
    )

    id: Mapped[int] = id_column()
    template_id: Mapped[int] = mapped_column(Id, ForeignKey("coupon_templates.id"), index=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    source: Mapped[str] = mapped_column(String(16))
    issue_key: Mapped[str | None] = mapped_column(String(128))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    order_id: Mapped[int | None] = mapped_column(Id, ForeignKey("orders.id"), unique=True)


class InviteCode(Base):
    """A customer's personal invite code, and the device it was created on (a self-referral
    hint)."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    device_hint: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = created_at_column()


class Referral(Base):
    """An invitee who joined through an inviter's code. A customer is the invitee of at most
    one referral that was not rejected."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(REFERRAL_STATUSES)})", name="status"),
        Index(
            "uq_referrals_live_invitee",
            "invitee_id",
            unique=True,
            sqlite_where=text("status <> 'rejected'"),
            postgresql_where=text("status <> 'rejected'"),
        ),
        Index("ix_referrals_inviter_id_created_at", "inviter_id", "created_at"),
        Index("ix_referrals_status", "status"),
    )

    id: Mapped[int] = id_column()
    inviter_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    invitee_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    invite_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    device_hint: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(String(300), default="")  # why rejected or flagged
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attribution_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    qualifying_order_id: Mapped[int | None] = mapped_column(Id, ForeignKey("orders.id"))
    qualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clawed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Distributor(Base):
    """A 分销 partner: a customer or a staff member earning `commission_bp` (basis points) of
    the net paid amount of the customers bound to them."""

    __tablename__ = "distributors"
    __table_args__ = (
        CheckConstraint("(customer_id IS NULL) <> (staff_id IS NULL)", name="owner"),
        CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="commission"),
    )

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"), unique=True)
    staff_id: Mapped[int | None] = mapped_column(Id, ForeignKey("staff_accounts.id"), unique=True)
    commission_bp: Mapped[int] = mapped_column()
    attribution_days: Mapped[int] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class DistributorBinding(Base):
    """A customer bound to the distributor who brought them (first binding wins)."""

    __tablename__ = "distributor_bindings"

    id: Mapped[int] = id_column()
    distributor_id: Mapped[int] = mapped_column(Id, ForeignKey("distributors.id"), index=True)
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), unique=True)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommissionEntry(Base):
    __tablename__ = "commission_ledger"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(COMMISSION_KINDS)})", name="kind"),
        Index("ix_commission_ledger_distributor_id_occurred_at", "distributor_id", "occurred_at"),
    )

    id: Mapped[int] = id_column()
    distributor_id: Mapped[int] = mapped_column(Id, ForeignKey("distributors.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(Id, ForeignKey("orders.id"), index=True)
    entry_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(300), default="")
    operator: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = created_at_column()


class LoyaltyRulesRow(Base):
    """The programme's rules: one row (id 1), created with defaults on first use."""

    __tablename__ = "loyalty_rules"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    points_per_yuan: Mapped[int] = mapped_column()
    points_validity_months: Mapped[int] = mapped_column()
    tier_window_months: Mapped[int] = mapped_column()
    tier_period_months: Mapped[int] = mapped_column()
    tier_grace_days: Mapped[int] = mapped_column()
    invite_base_url: Mapped[str] = mapped_column(String(300))
    attribution_days: Mapped[int] = mapped_column()
    inviter_reward_points: Mapped[int] = mapped_column()
    invitee_reward_points: Mapped[int] = mapped_column()
    inviter_coupon_template_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("coupon_templates.id")
    )
    invitee_coupon_template_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("coupon_templates.id")
    )
    reward_cap_per_day: Mapped[int] = mapped_column()
    reward_cap_per_month: Mapped[int] = mapped_column()
    invites_per_hour_limit: Mapped[int] = mapped_column()
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = updated_at_column()


class LoyaltySyncState(Base):
    """How far each order-driven sync has read `orders.updated_at`."""

    __tablename__ = "loyalty_sync_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    synced_until: Mapped[datetime] = mapped_column(UTCDateTime())
