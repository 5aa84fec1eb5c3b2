"""Loyalty: member tier levels, current tiers and their history; the points ledger and its
per-account lock rows; coupon templates and coupons; invite codes and referrals; distributors,
their bindings and the commission ledger; the programme's rules (one row) and the order-sync
watermarks. The points ledger's (customer_id, occurred_at, points) index serves balance lookups
and expiry; the partial unique index keeps a customer the invitee of one live referral.

Revision ID: 0004_loyalty
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0004_loyalty"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupon_templates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_off_fen", sa.BigInteger(), nullable=True),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("max_discount_fen", sa.BigInteger(), nullable=True),
        sa.Column("min_spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "(kind = 'amount_off' AND amount_off_fen > 0 AND percent_off IS NULL) OR (kind = 'percent_off' AND percent_off BETWEEN 1 AND 99 AND amount_off_fen IS NULL)",
            name=op.f("ck_coupon_templates_kind"),
        ),
        sa.CheckConstraint(
            "valid_days > 0 AND per_customer_limit > 0", name=op.f("ck_coupon_templates_limits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_coupon_templates_name")),
    )
    op.create_table(
        "loyalty_sync_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("synced_until", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_loyalty_sync_state")),
    )
    op.create_table(
        "tier_levels",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("min_spend_fen", sa.BigInteger(), nullable=True),
        sa.Column("min_orders", sa.Integer(), nullable=True),
        sa.Column("points_multiplier_percent", sa.Integer(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("free_shipping", sa.Boolean(), nullable=False),
        sa.Column("exclusive_activities", sa.Boolean(), nullable=False),
        sa.Column("priority_service", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "discount_percent BETWEEN 0 AND 100", name=op.f("ck_tier_levels_discount")
        ),
        sa.CheckConstraint("points_multiplier_percent > 0", name=op.f("ck_tier_levels_multiplier")),
        sa.CheckConstraint("rank >= 0", name=op.f("ck_tier_levels_rank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_levels")),
        sa.UniqueConstraint("code", name=op.f("uq_tier_levels_code")),
        sa.UniqueConstraint("rank", name=op.f("uq_tier_levels_rank")),
    )
    op.create_table(
        "distributors",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("attribution_days", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "(customer_id IS NULL) <> (staff_id IS NULL)", name=op.f("ck_distributors_owner")
        ),
        sa.CheckConstraint(
            "commission_bp BETWEEN 0 AND 10000", name=op.f("ck_distributors_commission")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_distributors_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_distributors_staff_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributors")),
        sa.UniqueConstraint("code", name=op.f("uq_distributors_code")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_distributors_customer_id")),
        sa.UniqueConstraint("staff_id", name=op.f("uq_distributors_staff_id")),
    )
    op.create_table(
        "invite_codes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("device_hint", sa.String(length=128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invite_codes_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_invite_codes_code")),
    )
    with op.batch_alter_table("invite_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invite_codes_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "loyalty_rules",
        sa.Column("id", ID, nullable=False),
        sa.Column("points_per_yuan", sa.Integer(), nullable=False),
        sa.Column("points_validity_months", sa.Integer(), nullable=False),
        sa.Column("tier_window_months", sa.Integer(), nullable=False),
        sa.Column("tier_period_months", sa.Integer(), nullable=False),
        sa.Column("tier_grace_days", sa.Integer(), nullable=False),
        sa.Column("invite_base_url", sa.String(length=300), nullable=False),
        sa.Column("attribution_days", sa.Integer(), nullable=False),
        sa.Column("inviter_reward_points", sa.Integer(), nullable=False),
        sa.Column("invitee_reward_points", sa.Integer(), nullable=False),
        sa.Column("inviter_coupon_template_id", ID, nullable=True),
        sa.Column("invitee_coupon_template_id", ID, nullable=True),
        sa.Column("reward_cap_per_day", sa.Integer(), nullable=False),
        sa.Column("reward_cap_per_month", sa.Integer(), nullable=False),
        sa.Column("invites_per_hour_limit", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_loyalty_rules_single_row")),
        sa.ForeignKeyConstraint(
            ["invitee_coupon_template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_loyalty_rules_invitee_coupon_template_id_coupon_templates"),
        ),
        sa.ForeignKeyConstraint(
            ["inviter_coupon_template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_loyalty_rules_inviter_coupon_template_id_coupon_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rules")),
    )
    op.create_table(
        "member_tiers",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("tier_id", ID, nullable=False),
        sa.Column("since", TIMESTAMP, nullable=False),
        sa.Column("period_ends_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_member_tiers_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["tier_id"], ["tier_levels.id"], name=op.f("fk_member_tiers_tier_id_tier_levels")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_member_tiers")),
    )
    with op.batch_alter_table("member_tiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_tiers_tier_id"), ["tier_id"], unique=False)

    op.create_table(
        "points_accounts",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_points_accounts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_points_accounts")),
    )
    op.create_table(
        "tier_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("from_tier", sa.String(length=32), nullable=True),
        sa.Column("to_tier", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("effective_at", TIMESTAMP, nullable=False),
        sa.Column("spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "kind IN ('joined', 'upgrade', 'downgrade')", name=op.f("ck_tier_history_kind")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tier_history_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_history")),
    )
    with op.batch_alter_table("tier_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tier_history_customer_id_effective_at",
            ["customer_id", "effective_at"],
            unique=False,
        )

    op.create_table(
        "commission_ledger",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("distributor_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("entry_key", sa.String(length=100), nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "kind IN ('earn', 'clawback', 'payout', 'adjust')",
            name=op.f("ck_commission_ledger_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributors.id"],
            name=op.f("fk_commission_ledger_distributor_id_distributors"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_commission_ledger_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_ledger")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_commission_ledger_entry_key")),
    )
    with op.batch_alter_table("commission_ledger", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commission_ledger_distributor_id_occurred_at",
            ["distributor_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_commission_ledger_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "coupons",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("template_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("issue_key", sa.String(length=128), nullable=True),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("valid_from", TIMESTAMP, nullable=False),
        sa.Column("valid_until", TIMESTAMP, nullable=False),
        sa.Column("redeemed_at", TIMESTAMP, nullable=True),
        sa.Column("order_id", ID, nullable=True),
        sa.CheckConstraint(
            "source IN ('segment', 'journey', 'referral', 'manual')", name=op.f("ck_coupons_source")
        ),
        sa.CheckConstraint(
            "status IN ('issued', 'redeemed', 'expired', 'revoked')", name=op.f("ck_coupons_status")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupons_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_coupons_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_coupons_template_id_coupon_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
        sa.UniqueConstraint("order_id", name=op.f("uq_coupons_order_id")),
        sa.UniqueConstraint(
            "template_id",
            "customer_id",
            "issue_key",
            name=op.f("uq_coupons_template_id_customer_id_issue_key"),
        ),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupons_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_coupons_status_valid_until", ["status", "valid_until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coupons_template_id"), ["template_id"], unique=False)

    op.create_table(
        "distributor_bindings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("distributor_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("bound_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_distributor_bindings_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributors.id"],
            name=op.f("fk_distributor_bindings_distributor_id_distributors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributor_bindings")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_distributor_bindings_customer_id")),
    )
    with op.batch_alter_table("distributor_bindings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distributor_bindings_distributor_id"), ["distributor_id"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("inviter_id", ID, nullable=False),
        sa.Column("invitee_id", ID, nullable=False),
        sa.Column("invite_code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("device_hint", sa.String(length=128), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("attribution_ends_at", TIMESTAMP, nullable=False),
        sa.Column("qualifying_order_id", ID, nullable=True),
        sa.Column("qualified_at", TIMESTAMP, nullable=True),
        sa.Column("rewarded_at", TIMESTAMP, nullable=True),
        sa.Column("clawed_back_at", TIMESTAMP, nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'qualified', 'rewarded', 'clawed_back', 'rejected', 'flagged')",
            name=op.f("ck_referrals_status"),
        ),
        sa.ForeignKeyConstraint(
            ["invitee_id"], ["customers.id"], name=op.f("fk_referrals_invitee_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"], ["customers.id"], name=op.f("fk_referrals_inviter_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["qualifying_order_id"],
            ["orders.id"],
            name=op.f("fk_referrals_qualifying_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_inviter_id_created_at", ["inviter_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_referrals_status", ["status"], unique=False)
        batch_op.create_index(
            "uq_referrals_live_invitee",
            ["invitee_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'rejected'"),
            postgresql_where=sa.text("status <> 'rejected'"),
        )

    op.create_table(
        "points_ledger",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("shortfall", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("order_id", ID, nullable=True),
        sa.Column("referral_id", ID, nullable=True),
        sa.Column("entry_key", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "(kind IN ('earn', 'referral') AND points > 0) OR (kind IN ('reverse', 'redeem', 'expire', 'clawback') AND points <= 0) OR (kind = 'adjust' AND points <> 0)",
            name=op.f("ck_points_ledger_sign"),
        ),
        sa.CheckConstraint("shortfall >= 0", name=op.f("ck_points_ledger_shortfall")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_points_ledger_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_points_ledger_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_points_ledger_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_ledger")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_points_ledger_entry_key")),
    )
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.create_index(
            "ix_points_ledger_customer_id_occurred_at",
            ["customer_id", "occurred_at", "points"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_points_ledger_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_points_ledger_referral_id"), ["referral_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_ledger_referral_id"))
        batch_op.drop_index(batch_op.f("ix_points_ledger_order_id"))
        batch_op.drop_index("ix_points_ledger_customer_id_occurred_at")

    op.drop_table("points_ledger")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_referrals_live_invitee",
            sqlite_where=sa.text("status <> 'rejected'"),
            postgresql_where=sa.text("status <> 'rejected'"),
        )
        batch_op.drop_index("ix_referrals_status")
        batch_op.drop_index("ix_referrals_inviter_id_created_at")

    op.drop_table("referrals")
    with op.batch_alter_table("distributor_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distributor_bindings_distributor_id"))

    op.drop_table("distributor_bindings")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupons_template_id"))
        batch_op.drop_index("ix_coupons_status_valid_until")
        batch_op.drop_index(batch_op.f("ix_coupons_customer_id"))

    op.drop_table("coupons")
    with op.batch_alter_table("commission_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commission_ledger_order_id"))
        batch_op.drop_index("ix_commission_ledger_distributor_id_occurred_at")

    op.drop_table("commission_ledger")
    with op.batch_alter_table("tier_history", schema=None) as batch_op:
        batch_op.drop_index("ix_tier_history_customer_id_effective_at")

    op.drop_table("tier_history")
    op.drop_table("points_accounts")
    with op.batch_alter_table("member_tiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_tiers_tier_id"))

    op.drop_table("member_tiers")
    op.drop_table("loyalty_rules")
    with op.batch_alter_table("invite_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_codes_customer_id"))

    op.drop_table("invite_codes")
    op.drop_table("distributors")
    op.drop_table("tier_levels")
    op.drop_table("loyalty_sync_state")
    op.drop_table("coupon_templates")
