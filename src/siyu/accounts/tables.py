"""Staff WeCom accounts, their external contacts, and customer groups (客户群)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column
from siyu.db.types import Id, UTCDateTime


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = id_column()
    userid: Mapped[str] = mapped_column(String(64), unique=True)  # WeCom member userid
    name: Mapped[str] = mapped_column(String(100), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class WecomContact(Base):
    """A staff member ↔ customer edge (follow_user). `removed_by` is 'staff' when the member
    deleted the customer and 'customer' when the customer deleted the member (churn)."""

    __tablename__ = "wecom_contacts"
    __table_args__ = (UniqueConstraint("staff_id", "external_userid"),)

    id: Mapped[int] = id_column()
    staff_id: Mapped[int] = mapped_column(Id, ForeignKey("staff_accounts.id"))
    external_userid: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str | None] = mapped_column(String(64))  # 「联系我」 channel code
    add_way: Mapped[int | None] = mapped_column()
    remark: Mapped[str | None] = mapped_column(String(200))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by: Mapped[str | None] = mapped_column(String(16))


class CustomerGroup(Base):
    __tablename__ = "customer_groups"

    id: Mapped[int] = id_column()
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    owner_staff_id: Mapped[int | None] = mapped_column(Id, ForeignKey("staff_accounts.id"))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CustomerGroupMember(Base):
    __tablename__ = "customer_group_members"
    __table_args__ = (UniqueConstraint("group_id", "member_userid"),)

    id: Mapped[int] = id_column()
    group_id: Mapped[int] = mapped_column(Id, ForeignKey("customer_groups.id", ondelete="CASCADE"))
    member_userid: Mapped[str] = mapped_column(String(64))
    member_type: Mapped[int] = mapped_column()  # 1 staff member, 2 external contact
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"), index=True)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
