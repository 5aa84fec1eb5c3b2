"""Tags, in groups (exclusive or not), and which customers carry them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, sql_in
from siyu.db.types import Id

TAG_PROVENANCES = ("manual", "rule", "wecom", "journey")


class TagGroup(Base):
    __tablename__ = "tag_groups"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_exclusive: Mapped[bool] = mapped_column(default=False)
    wecom_group_id: Mapped[str | None] = mapped_column(String(64))


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("group_id", "name"),
        CheckConstraint(f"provenance IN ({sql_in(TAG_PROVENANCES)})", name="provenance"),
    )

    id: Mapped[int] = id_column()
    group_id: Mapped[int | None] = mapped_column(Id, ForeignKey("tag_groups.id"))
    name: Mapped[str] = mapped_column(String(100))
    provenance: Mapped[str] = mapped_column(String(16), default="manual")
    wecom_tag_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()


class CustomerTag(Base):
    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customers.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        Id, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = created_at_column()
