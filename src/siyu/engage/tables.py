"""The outbox, its delivery attempts, consent, learned contact hours, and WeCom bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, sql_in, updated_at_column
from siyu.db.types import Id, UTCDateTime

CHANNELS = ("wecom", "sms", "email", "webhook", "console")
CONSENT_CHANNELS = ("all", *CHANNELS)
PURPOSES = ("marketing", "personalised", "service")
STATES = (
    "planned",
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "suppressed",
    "expired",
)
INTERACTIONS = ("click", "reply", "unsubscribe", "opt_out")


class MessageContent(Base):
    """A message body, stored once and referred to by its hash (the 'same content' rule)."""

    __tablename__ = "message_contents"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()


class OutboxMessage(Base):
    """One message to one recipient. `idempotency_key` = source step + customer + channel +
    slot. A group-chat message has no customer and a `recipient` of `chat:<chat_id>`.
    While `sending`, `next_attempt_at` is the claim's lease expiry."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_in(STATES)})", name="state"),
        CheckConstraint(f"channel IN ({sql_in(CHANNELS)})", name="channel"),
        CheckConstraint(f"purpose IN ({sql_in(PURPOSES)})", name="purpose"),
        Index("ix_outbox_messages_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_outbox_messages_customer_id_scheduled_at", "customer_id", "scheduled_at"),
        Index(
            "ix_outbox_messages_external_id",
            "external_id",
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"))
    recipient: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    slot: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(
        String(64), ForeignKey("message_contents.content_hash")
    )
    sender: Mapped[str | None] = mapped_column(String(64))  # WeCom staff userid
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(300))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class DeliveryAttempt(Base):
    """One try at a channel call (or one claim-time decision), kept for the record."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = id_column()
    message_id: Mapped[int] = mapped_column(
        Id, ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column()
    worker: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # sent|delivered|retry|failed|rescheduled…
    error_kind: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Consent(Base):
    """The current consent of one customer for one channel ('all' = every channel) and purpose.
    No row means the channel's default (docs/reach.md)."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("customer_id", "channel", "purpose"),
        CheckConstraint(f"channel IN ({sql_in(CONSENT_CHANNELS)})", name="channel"),
        CheckConstraint(f"purpose IN ({sql_in(PURPOSES)})", name="purpose"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column()
    source: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageInteraction(Base):
    """A reply, click, unsubscribe or opt-out: feeds preferred hours and attribution."""

    __tablename__ = "message_interactions"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(INTERACTIONS)})", name="kind"),
        Index("ix_message_interactions_customer_id_occurred_at", "customer_id", "occurred_at"),
    )

    id: Mapped[int] = id_column()
    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"))
    message_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[str] = mapped_column(String(200), default="")


class ContactHours(Base):
    """The hours (merchant time zone) a customer replies, clicks and buys, most frequent first."""

    __tablename__ = "contact_hours"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    best_hour: Mapped[int] = mapped_column()
    top_hours: Mapped[list[int]] = mapped_column(JSON)
    samples: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ConsoleMessage(Base):
    """A message delivered to the console channel (demo, tests): written in the same
    transaction as the outbox state change, unique per idempotency key."""

    __tablename__ = "console_messages"

    id: Mapped[int] = id_column()
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    message_id: Mapped[int] = mapped_column(Id, ForeignKey("outbox_messages.id"))
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"))
    text: Mapped[str] = mapped_column(String(4000))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WecomCallbackEvent(Base):
    """A decrypted WeCom callback event, de-duplicated on its key
    (ExternalUserID or ChatId or tag Id, ChangeType, CreateTime)."""

    __tablename__ = "wecom_callback_events"

    id: Mapped[int] = id_column()
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    change_type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = created_at_column()


class WecomMassTask(Base):
    """One `add_msg_template` task: a staff member must confirm it in the WeCom client.
    `reminded_at` keeps the reminders of the last 24 h (at most 3 per WeCom's rule)."""

    __tablename__ = "wecom_mass_tasks"

    id: Mapped[int] = id_column()
    msgid: Mapped[str] = mapped_column(String(128), unique=True)
    chat_type: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    reminded_at: Mapped[list[str]] = mapped_column(JSON, default=list)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
