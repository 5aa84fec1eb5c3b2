"""Customer profiles, the lifecycle timeline, fitted CLV models, and the incremental work list.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_analytics_state")),
    )
    op.create_table(
        "clv_models",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("fitted_until", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("bgnbd", sa.JSON(), nullable=False),
        sa.Column("gamma_gamma", sa.JSON(), nullable=True),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("repeat_purchases", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clv_models")),
    )
    op.create_table(
        "customer_changes",
        sa.Column("customer_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_changes")),
    )
    op.create_table(
        "customer_profiles",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("purchase_days", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("net_revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("aov_fen", sa.BigInteger(), nullable=False),
        sa.Column("first_order_at", TIMESTAMP, nullable=True),
        sa.Column("last_order_at", TIMESTAMP, nullable=True),
        sa.Column("mean_repeat_days", sa.Float(), nullable=True),
        sa.Column("median_repeat_days", sa.Float(), nullable=True),
        sa.Column("expected_interval_days", sa.Float(), nullable=True),
        sa.Column("by_platform", sa.JSON(), nullable=False),
        sa.Column("by_shop", sa.JSON(), nullable=False),
        sa.Column("category_scores", sa.JSON(), nullable=False),
        sa.Column("top_category", sa.String(length=100), nullable=True),
        sa.Column("acquisition_channel", sa.String(length=100), nullable=True),
        sa.Column("has_value_behaviour", sa.Boolean(), nullable=False),
        sa.Column("last_event_at", TIMESTAMP, nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("deleted_staff", sa.Boolean(), nullable=False),
        sa.Column("deleted_staff_on", sa.Date(), nullable=True),
        sa.Column("order_stage", sa.String(length=16), nullable=False),
        sa.Column("dormant_on", sa.Date(), nullable=True),
        sa.Column("churned_on", sa.Date(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_since", sa.Date(), nullable=True),
        sa.Column("rfm_r", sa.Integer(), nullable=True),
        sa.Column("rfm_f", sa.Integer(), nullable=True),
        sa.Column("rfm_m", sa.Integer(), nullable=True),
        sa.Column("rfm_segment", sa.String(length=24), nullable=True),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("expected_purchases_30", sa.Float(), nullable=True),
        sa.Column("expected_purchases_90", sa.Float(), nullable=True),
        sa.Column("expected_purchases_365", sa.Float(), nullable=True),
        sa.Column("expected_order_value_fen", sa.BigInteger(), nullable=True),
        sa.Column("clv_fen", sa.BigInteger(), nullable=True),
        sa.Column("next_purchase_on", sa.Date(), nullable=True),
        sa.Column("clv_model", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_profiles_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_profiles")),
    )
    with op.batch_alter_table("customer_profiles", schema=None) as batch_op:
        batch_op.create_index("ix_customer_profiles_rfm_segment", ["rfm_segment"], unique=False)
        batch_op.create_index("ix_customer_profiles_stage", ["stage"], unique=False)

    op.create_table(
        "stage_transitions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_stage_transitions_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_transitions")),
    )
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stage_transitions_customer_on", ["customer_id", "changed_on"], unique=False
        )
        batch_op.create_index(
            "ix_stage_transitions_to_on", ["to_stage", "changed_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_transitions_to_on")
        batch_op.drop_index("ix_stage_transitions_customer_on")

    op.drop_table("stage_transitions")
    with op.batch_alter_table("customer_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_profiles_stage")
        batch_op.drop_index("ix_customer_profiles_rfm_segment")

    op.drop_table("customer_profiles")
    op.drop_table("customer_changes")
    op.drop_table("clv_models")
    op.drop_table("analytics_state")
