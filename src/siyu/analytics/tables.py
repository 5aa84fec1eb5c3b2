"""Per-customer profiles, their lifecycle timeline, and fitted CLV models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column
from siyu.db.types import Id, UTCDateTime

STAGES = (
    "prospect",
    "first_order",
    "second_order",
    "third_order",
    "loyal",
    "dormant",
    "churned",
)


RANK_INDEXES = (
    ("r", "last_order_at", "purchase_days > 0"),
    ("f", "purchase_days", "purchase_days >= 1"),
    ("m", "net_revenue_fen", "purchase_days > 0"),
)


class CustomerProfile(Base):
    """What siyu knows of one customer, as of the last `siyu refresh` (analytics_state.as_of)."""

    __tablename__ = "customer_profiles"
    __table_args__ = (
        Index("ix_customer_profiles_stage", "stage"),
        Index("ix_customer_profiles_rfm_segment", "rfm_segment"),
        # the buyers ranked by R, F and M (siyu.analytics.rescoring.RANKED), and the days an
        # incremental refresh looks up when the date passes them
        *(
            Index(
                f"ix_customer_profiles_rank_{name}",
                column,
                sqlite_where=text(where),
                postgresql_where=text(where),
            )
            for name, column, where in RANK_INDEXES
        ),
        Index("ix_customer_profiles_dormant_on", "dormant_on"),
        Index("ix_customer_profiles_churned_on", "churned_on"),
    )

    # a customers.id, without a foreign key (schema 0011): profiles and their timeline are
    # derived rows, written only by `siyu refresh` from the customers it has just read, and
    # customers are never deleted; on PostgreSQL the key's check on each row written took 26 s
    # of the 35 s a full refresh's 3M timeline steps took to insert (without their indexes)
    customer_id: Mapped[int] = mapped_column(Id, primary_key=True)
    orders: Mapped[int] = mapped_column(default=0)  # paid orders, refunded ones excluded
    purchase_days: Mapped[int] = mapped_column(default=0)  # orders on one day are one purchase
    items: Mapped[int] = mapped_column(default=0)
    net_revenue_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    aov_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mean_repeat_days: Mapped[float | None] = mapped_column(Float)
    median_repeat_days: Mapped[float | None] = mapped_column(Float)
    expected_interval_days: Mapped[float | None] = mapped_column(Float)
    by_platform: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    by_shop: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    category_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    top_category: Mapped[str | None] = mapped_column(String(100))
    acquisition_channel: Mapped[str | None] = mapped_column(String(100))
    has_value_behaviour: Mapped[bool] = mapped_column(default=False)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reachable: Mapped[bool] = mapped_column(default=False)
    deleted_staff: Mapped[bool] = mapped_column(default=False)
    deleted_staff_on: Mapped[date | None] = mapped_column(Date)
    order_stage: Mapped[str] = mapped_column(String(16), default="prospect")  # by purchases only
    dormant_on: Mapped[date | None] = mapped_column(Date)
    churned_on: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(16), default="prospect")
    stage_since: Mapped[date | None] = mapped_column(Date)
    rfm_r: Mapped[int | None] = mapped_column()
    rfm_f: Mapped[int | None] = mapped_column()
    rfm_m: Mapped[int | None] = mapped_column()
    rfm_segment: Mapped[str | None] = mapped_column(String(24))
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases_30: Mapped[float | None] = mapped_column(Float)
    expected_purchases_90: Mapped[float | None] = mapped_column(Float)
    expected_purchases_365: Mapped[float | None] = mapped_column(Float)
    expected_order_value_fen: Mapped[int | None] = mapped_column(BigInteger)
    clv_fen: Mapped[int | None] = mapped_column(BigInteger)
    next_purchase_on: Mapped[date | None] = mapped_column(Date)
    clv_model: Mapped[str | None] = mapped_column(String(16))  # bgnbd or rfm_fallback


class StageTransition(Base):
    """One step of a customer's lifecycle, dated when it happened (not when it was computed)."""

    __tablename__ = "stage_transitions"
    __table_args__ = (
        Index("ix_stage_transitions_customer_on", "customer_id", "changed_on"),
        Index("ix_stage_transitions_to_on", "to_stage", "changed_on"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id)  # a customers.id: see CustomerProfile's
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[date] = mapped_column(Date)


class ClvModel(Base):
    """A fitted BG/NBD + Gamma-Gamma model; refresh scores customers with the newest."""

    __tablename__ = "clv_models"

    id: Mapped[int] = id_column()
    fitted_until: Mapped[date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(8))
    bgnbd: Mapped[dict[str, Any]] = mapped_column(JSON)
    gamma_gamma: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    customers: Mapped[int] = mapped_column()
    repeat_purchases: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()


class AnalyticsState(Base):
    """Key-value bookkeeping of refreshes (the last as-of date, the last full refresh)."""

    __tablename__ = "analytics_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
