"""The buyers ranked by R, F and M, and the dormant and churned days, indexed: an incremental
refresh reads four quintile thresholds per dimension and the customers between old and new
ones, instead of every buyer's figures (siyu.analytics.rescoring).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RANKS = (
    ("r", "last_order_at", "purchase_days > 0"),
    ("f", "purchase_days", "purchase_days >= 1"),
    ("m", "net_revenue_fen", "purchase_days > 0"),
)
DAYS = ("dormant_on", "churned_on")


def upgrade() -> None:
    for name, column, where in RANKS:
        op.create_index(
            f"ix_customer_profiles_rank_{name}", "customer_profiles", [column],
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )  # fmt: skip
    for column in DAYS:
        op.create_index(f"ix_customer_profiles_{column}", "customer_profiles", [column])


def downgrade() -> None:
    for column in DAYS:
        op.drop_index(f"ix_customer_profiles_{column}", table_name="customer_profiles")
    for name, _, _ in RANKS:
        op.drop_index(f"ix_customer_profiles_rank_{name}", table_name="customer_profiles")
