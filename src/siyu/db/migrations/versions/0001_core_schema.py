"""Core schema: shops, catalogue, orders, customers and identities, behaviour events, staff
WeCom accounts and contacts, customer groups, tags.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["categories.id"], name=op.f("fk_categories_parent_id_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_categories_name")),
    )
    op.create_table(
        "customers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("province", sa.String(length=50), nullable=True),
        sa.Column("city", sa.String(length=50), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_table(
        "shops",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "platform IN ('tmall', 'taobao', 'jd', 'pdd', 'douyin', 'youzan', 'weixin_shop', 'mini_program', 'offline')",
            name=op.f("ck_shops_platform"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("code", name=op.f("uq_shops_code")),
    )
    op.create_table(
        "staff_accounts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("userid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("userid", name=op.f("uq_staff_accounts_userid")),
    )
    op.create_table(
        "tag_groups",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_exclusive", sa.Boolean(), nullable=False),
        sa.Column("wecom_group_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_groups_name")),
    )
    op.create_table(
        "behaviour_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("item", sa.String(length=300), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("shop_id", ID, nullable=True),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_behaviour_events_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_behaviour_events_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_behaviour_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_behaviour_events_event_key")),
    )
    with op.batch_alter_table("behaviour_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_behaviour_events_customer_type_time",
            ["customer_id", "event_type", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "customer_groups",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_staff_id", ID, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=True),
        sa.Column("dismissed_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_customer_groups_owner_staff_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_groups")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_customer_groups_chat_id")),
    )
    op.create_table(
        "customer_identities",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("is_strong", sa.Boolean(), nullable=False),
        sa.Column("shop_id", ID, nullable=True),
        sa.Column("linked_by", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_identities_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_customer_identities_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
    )
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_identities_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_customer_identities_lookup", ["kind", "scope", "value"], unique=False
        )
        batch_op.create_index(
            "uq_customer_identities_strong_key",
            ["kind", "scope", "value"],
            unique=True,
            sqlite_where=sa.text("is_strong = 1"),
            postgresql_where=sa.text("is_strong"),
        )

    op.create_table(
        "orders",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("shop_id", ID, nullable=False),
        sa.Column("platform_order_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("raw_status", sa.String(length=100), nullable=False),
        sa.Column("ordered_at", TIMESTAMP, nullable=False),
        sa.Column("paid_at", TIMESTAMP, nullable=True),
        sa.Column("shipped_at", TIMESTAMP, nullable=True),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.Column("total_fen", sa.BigInteger(), nullable=True),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.Column("shipping_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_grain", sa.String(length=8), nullable=False),
        sa.Column("coupon_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "amount_grain IN ('order', 'line')", name=op.f("ck_orders_amount_grain")
        ),
        sa.CheckConstraint(
            "status IN ('pending_payment', 'paid', 'shipped', 'completed', 'closed', 'partially_refunded', 'refunded')",
            name=op.f("ck_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_orders_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "shop_id", "platform_order_id", name=op.f("uq_orders_shop_id_platform_order_id")
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_customer_id_ordered_at", ["customer_id", "ordered_at"], unique=False
        )
        batch_op.create_index("ix_orders_ordered_at", ["ordered_at"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("category_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_products_category_id_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category_id"), ["category_id"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("provenance", sa.String(length=16), nullable=False),
        sa.Column("wecom_tag_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "provenance IN ('manual', 'rule', 'wecom', 'journey')", name=op.f("ck_tags_provenance")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["tag_groups.id"], name=op.f("fk_tags_group_id_tag_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_tags_group_id_name")),
        sa.UniqueConstraint("wecom_tag_id", name=op.f("uq_tags_wecom_tag_id")),
    )
    op.create_table(
        "wecom_contacts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("staff_id", ID, nullable=False),
        sa.Column("external_userid", sa.String(length=64), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("added_at", TIMESTAMP, nullable=True),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("add_way", sa.Integer(), nullable=True),
        sa.Column("remark", sa.String(length=200), nullable=True),
        sa.Column("removed_at", TIMESTAMP, nullable=True),
        sa.Column("removed_by", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_wecom_contacts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_wecom_contacts_staff_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_contacts")),
        sa.UniqueConstraint(
            "staff_id", "external_userid", name=op.f("uq_wecom_contacts_staff_id_external_userid")
        ),
    )
    with op.batch_alter_table("wecom_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wecom_contacts_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wecom_contacts_external_userid"), ["external_userid"], unique=False
        )

    op.create_table(
        "customer_group_members",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_userid", sa.String(length=64), nullable=False),
        sa.Column("member_type", sa.Integer(), nullable=False),
        sa.Column("customer_id", ID, nullable=True),
        sa.Column("joined_at", TIMESTAMP, nullable=True),
        sa.Column("left_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_group_members_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_customer_group_members_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_group_members")),
        sa.UniqueConstraint(
            "group_id",
            "member_userid",
            name=op.f("uq_customer_group_members_group_id_member_userid"),
        ),
    )
    with op.batch_alter_table("customer_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_group_members_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customer_tags",
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("tag_id", ID, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_tags_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_customer_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("customer_id", "tag_id", name=op.f("pk_customer_tags")),
    )
    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "skus",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("properties", sa.String(length=500), nullable=True),
        sa.Column("list_price_fen", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_skus_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skus")),
        sa.UniqueConstraint("code", name=op.f("uq_skus_code")),
    )
    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skus_product_id"), ["product_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("line_key", sa.String(length=200), nullable=False),
        sa.Column("product_id", ID, nullable=True),
        sa.Column("sku_id", ID, nullable=True),
        sa.Column("category_id", ID, nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("sku_properties", sa.String(length=500), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("paid_fen", sa.BigInteger(), nullable=True),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_order_lines_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_order_lines_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "line_key", name=op.f("uq_order_lines_order_id_line_key")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_lines_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_order_lines_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_sku_id"), ["sku_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_sku_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_product_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_category_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skus_product_id"))

    op.drop_table("skus")
    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_tags_tag_id"))

    op.drop_table("customer_tags")
    with op.batch_alter_table("customer_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_group_members_customer_id"))

    op.drop_table("customer_group_members")
    with op.batch_alter_table("wecom_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_contacts_external_userid"))
        batch_op.drop_index(batch_op.f("ix_wecom_contacts_customer_id"))

    op.drop_table("wecom_contacts")
    op.drop_table("tags")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_category_id"))

    op.drop_table("products")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_ordered_at")
        batch_op.drop_index("ix_orders_customer_id_ordered_at")

    op.drop_table("orders")
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_customer_identities_strong_key",
            sqlite_where=sa.text("is_strong = 1"),
            postgresql_where=sa.text("is_strong"),
        )
        batch_op.drop_index("ix_customer_identities_lookup")
        batch_op.drop_index(batch_op.f("ix_customer_identities_customer_id"))

    op.drop_table("customer_identities")
    op.drop_table("customer_groups")
    with op.batch_alter_table("behaviour_events", schema=None) as batch_op:
        batch_op.drop_index("ix_behaviour_events_customer_type_time")

    op.drop_table("behaviour_events")
    op.drop_table("tag_groups")
    op.drop_table("staff_accounts")
    op.drop_table("shops")
    op.drop_table("customers")
    op.drop_table("categories")
