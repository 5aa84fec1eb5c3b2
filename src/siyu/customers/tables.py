"""One row per person, the identities that point at them, and what they did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, updated_at_column
from siyu.db.types import Id, UTCDateTime

IDENTITY_KINDS = (
    "external_userid",
    "unionid",
    "openid",
    "phone",
    "buyer_id",
    "email",
    "customer_ref",
    "masked_phone",
)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = id_column()
    display_name: Mapped[str | None] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    # Set when OneID merged this customer into another; cleared again by an unmerge.
    merged_into_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class CustomerIdentity(Base):
    """A key that identifies a customer. `scope` qualifies keys that are only unique within a
    platform (a Taobao buyer id) and is '' otherwise. A strong key points at exactly one
    customer (the partial unique index); a weak one (a masked phone) is only a hint."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        Index(
            "uq_customer_identities_strong_key",
            "kind",
            "scope",
            "value",
            unique=True,
            sqlite_where=text("is_strong = 1"),
            postgresql_where=text("is_strong"),
        ),
        Index("ix_customer_identities_lookup", "kind", "scope", "value"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    scope: Mapped[str] = mapped_column(String(32), default="")
    value: Mapped[str] = mapped_column(String(255))
    is_strong: Mapped[bool] = mapped_column(default=True)
    shop_id: Mapped[int | None] = mapped_column(Id, ForeignKey("shops.id"))
    linked_by: Mapped[str] = mapped_column(String(300), default="")  # the key that linked it
    source: Mapped[str] = mapped_column(String(500), default="")  # file (and line) it came from
    created_at: Mapped[datetime] = created_at_column()


class BehaviourEvent(Base):
    __tablename__ = "behaviour_events"
    __table_args__ = (
        Index("ix_behaviour_events_customer_type_time", "customer_id", "event_type", "occurred_at"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    event_type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    item: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(100))
    shop_id: Mapped[int | None] = mapped_column(Id, ForeignKey("shops.id"))
    event_key: Mapped[str] = mapped_column(String(64), unique=True)  # content hash: re-import no-op


class CustomerMerge(Base):
    """One OneID merge: `merged_id` was folded into `kept_id` because of `reason` (the key both
    shared). `moved` lists, per table, the row ids that moved, so an unmerge restores them."""

    __tablename__ = "customer_merges"

    id: Mapped[int] = id_column()
    kept_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(500), default="")
    moved: Mapped[dict[str, Any]] = mapped_column(JSON)
    merged_at: Mapped[datetime] = created_at_column()
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CustomerChange(Base):
    """A customer touched by an import or a merge since the last refresh."""

    __tablename__ = "customer_changes"

    customer_id: Mapped[int] = mapped_column(Id, primary_key=True)
    # bumped by every mark: a refresh clears only the marks still at the version it read
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
