"""Campaigns: campaigns, their A/B/n variants, and the recipients frozen at launch (each in a
variant or the holdout, with the lifecycle stage at launch and the outbox message planned).

Revision ID: 0006_campaigns
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0006_campaigns"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("segment_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("holdout_share", sa.Float(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_at", TIMESTAMP, nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("attribution_days", sa.Integer(), nullable=False),
        sa.Column("coupon_template_id", ID, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("launched_at", TIMESTAMP, nullable=True),
        sa.Column("cancelled_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "valid_days BETWEEN 1 AND 31 AND attribution_days BETWEEN 1 AND 365",
            name=op.f("ck_campaigns_days"),
        ),
        sa.CheckConstraint(
            "holdout_share >= 0 AND holdout_share < 1", name=op.f("ck_campaigns_holdout_share")
        ),
        sa.CheckConstraint(
            "purpose IN ('marketing', 'personalised')", name=op.f("ck_campaigns_purpose")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'launched', 'completed', 'cancelled')",
            name=op.f("ck_campaigns_status"),
        ),
        sa.ForeignKeyConstraint(
            ["coupon_template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_campaigns_coupon_template_id_coupon_templates"),
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_campaigns_segment_id_segments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_index(
        "ix_campaigns_status_scheduled_at", "campaigns", ["status", "scheduled_at"], unique=False
    )
    op.create_table(
        "campaign_variants",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("link_url", sa.String(length=500), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_campaign_variants_weight")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_variants_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_variants")),
        sa.UniqueConstraint(
            "campaign_id", "key", name=op.f("uq_campaign_variants_campaign_id_key")
        ),
    )
    op.create_table(
        "campaign_recipients",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("variant_id", ID, nullable=True),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        sa.Column("stratum", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("message_id", ID, nullable=True),
        sa.CheckConstraint(
            "(variant_id IS NULL) = holdout", name=op.f("ck_campaign_recipients_arm")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_recipients_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_campaign_recipients_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_campaign_recipients_message_id_outbox_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["campaign_variants.id"],
            name=op.f("fk_campaign_recipients_variant_id_campaign_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            name=op.f("uq_campaign_recipients_campaign_id_customer_id"),
        ),
    )
    op.create_index(
        "ix_campaign_recipients_customer_id",
        "campaign_recipients",
        ["customer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_recipients_customer_id", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_table("campaign_variants")
    op.drop_index("ix_campaigns_status_scheduled_at", table_name="campaigns")
    op.drop_table("campaigns")
