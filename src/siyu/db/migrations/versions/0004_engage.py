"""Engage: the outbox and its delivery attempts, message contents, consent, learned contact
hours, console deliveries, and WeCom bookkeeping (callback events, mass-message tasks).

Every outbound message is an `outbox_messages` row, unique on its idempotency key, indexed on
(state, next_attempt_at) for the workers' claims and on (customer_id, scheduled_at) for the
governor's caps. `consents` holds one current decision per customer, channel and purpose.

Revision ID: 0004_engage
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0004_engage"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_contents",
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("content_hash", name=op.f("pk_message_contents")),
    )
    op.create_table(
        "wecom_callback_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("change_type", sa.String(length=40), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_callback_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_wecom_callback_events_dedupe_key")),
    )
    op.create_table(
        "wecom_mass_tasks",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("msgid", sa.String(length=128), nullable=False),
        sa.Column("chat_type", sa.String(length=8), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("reminded_at", sa.JSON(), nullable=False),
        sa.Column("polled_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_mass_tasks")),
        sa.UniqueConstraint("msgid", name=op.f("uq_wecom_mass_tasks_msgid")),
    )
    op.create_table(
        "consents",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "channel IN ('all', 'wecom', 'sms', 'email', 'webhook', 'console')",
            name=op.f("ck_consents_channel"),
        ),
        sa.CheckConstraint(
            "purpose IN ('marketing', 'personalised', 'service')", name=op.f("ck_consents_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_consents_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint(
            "customer_id",
            "channel",
            "purpose",
            name=op.f("uq_consents_customer_id_channel_purpose"),
        ),
    )
    op.create_table(
        "contact_hours",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("best_hour", sa.Integer(), nullable=False),
        sa.Column("top_hours", sa.JSON(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contact_hours_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_contact_hours")),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("recipient", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("not_before", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("scheduled_at", TIMESTAMP, nullable=True),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "channel IN ('wecom', 'sms', 'email', 'webhook', 'console')",
            name=op.f("ck_outbox_messages_channel"),
        ),
        sa.CheckConstraint(
            "purpose IN ('marketing', 'personalised', 'service')",
            name=op.f("ck_outbox_messages_purpose"),
        ),
        sa.CheckConstraint(
            "state IN ('planned', 'queued', 'sending', 'sent', 'delivered', 'failed', 'suppressed', 'expired')",
            name=op.f("ck_outbox_messages_state"),
        ),
        sa.ForeignKeyConstraint(
            ["content_hash"],
            ["message_contents.content_hash"],
            name=op.f("fk_outbox_messages_content_hash_message_contents"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outbox_messages_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")),
    )
    op.create_index(
        "ix_outbox_messages_customer_id_scheduled_at",
        "outbox_messages",
        ["customer_id", "scheduled_at"],
        unique=False,
    )
    op.create_index(
        "ix_outbox_messages_external_id",
        "outbox_messages",
        ["external_id"],
        unique=False,
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index(op.f("ix_outbox_messages_source"), "outbox_messages", ["source"], unique=False)
    op.create_index(
        "ix_outbox_messages_state_next_attempt_at",
        "outbox_messages",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "console_messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_console_messages_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_console_messages_message_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_console_messages_idempotency_key")),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error_kind", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_delivery_attempts_message_id_outbox_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_delivery_attempts_message_id"), "delivery_attempts", ["message_id"], unique=False
    )
    op.create_table(
        "message_interactions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "kind IN ('click', 'reply', 'unsubscribe', 'opt_out')",
            name=op.f("ck_message_interactions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_message_interactions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_message_interactions_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_interactions")),
    )
    op.create_index(
        "ix_message_interactions_customer_id_occurred_at",
        "message_interactions",
        ["customer_id", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_message_interactions_customer_id_occurred_at", table_name="message_interactions"
    )
    op.drop_table("message_interactions")
    op.drop_index(op.f("ix_delivery_attempts_message_id"), table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_table("console_messages")
    op.drop_index("ix_outbox_messages_state_next_attempt_at", table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_source"), table_name="outbox_messages")
    op.drop_index(
        "ix_outbox_messages_external_id",
        table_name="outbox_messages",
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index("ix_outbox_messages_customer_id_scheduled_at", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_table("contact_hours")
    op.drop_table("consents")
    op.drop_table("wecom_mass_tasks")
    op.drop_table("wecom_callback_events")
    op.drop_table("message_contents")
