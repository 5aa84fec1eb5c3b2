"""Segments: saved audience rules, their materialised members, entered/exited events and daily
counts; the tag change log (tag_events, read by WeCom sync); the rule of rule tags; and the
index that lets a behaviour window be scanned by type and time.

Revision ID: 0004_segments
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The column types of siyu.db.types, spelt out: revisions never import the application.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision = "0004_segments"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.Column("materialised_at", TIMESTAMP, nullable=True),
        sa.Column("materialised_as_of", sa.Date(), nullable=True),
        sa.Column("unavailable", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("code", name=op.f("uq_segments_code")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.create_table(
        "segment_counts",
        sa.Column("segment_id", ID, nullable=False),
        sa.Column("counted_on", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("exited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_counts_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "counted_on", name=op.f("pk_segment_counts")),
    )
    op.create_table(
        "segment_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("segment_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.CheckConstraint("kind IN ('entered', 'exited')", name=op.f("ck_segment_events_kind")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_segment_events_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_events_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_events")),
    )
    with op.batch_alter_table("segment_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_segment_events_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_segment_events_segment_id_at", ["segment_id", "at"], unique=False)
    op.create_table(
        "segment_members",
        sa.Column("segment_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("entered_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_segment_members_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_members_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "customer_id", name=op.f("pk_segment_members")),
    )
    with op.batch_alter_table("segment_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_segment_members_customer_id"), ["customer_id"], unique=False
        )
    op.create_table(
        "tag_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("tag_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("kind IN ('added', 'removed')", name=op.f("ck_tag_events_kind")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tag_events_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_tag_events_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_events")),
    )
    with op.batch_alter_table("tag_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tag_events_customer_id_tag_id", ["customer_id", "tag_id"], unique=False
        )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule", sa.JSON(), nullable=True))
    op.create_index(
        "ix_behaviour_events_type_time_customer",
        "behaviour_events",
        ["event_type", "occurred_at", "customer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_behaviour_events_type_time_customer", table_name="behaviour_events")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("rule")
    with op.batch_alter_table("tag_events", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_events_customer_id_tag_id")
    op.drop_table("tag_events")
    with op.batch_alter_table("segment_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_members_customer_id"))
    op.drop_table("segment_members")
    with op.batch_alter_table("segment_events", schema=None) as batch_op:
        batch_op.drop_index("ix_segment_events_segment_id_at")
        batch_op.drop_index(batch_op.f("ix_segment_events_customer_id"))
    op.drop_table("segment_events")
    op.drop_table("segment_counts")
    op.drop_table("segments")
