"""Shops, catalogue and orders. Money is integer fen; timestamps are aware and stored in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base
from siyu.db.columns import created_at_column, id_column, sql_in, updated_at_column
from siyu.db.types import Id, UTCDateTime

PLATFORMS = (
    "tmall",
    "taobao",
    "jd",
    "pdd",
    "douyin",
    "youzan",
    "weixin_shop",
    "mini_program",
    "offline",
)
ORDER_STATUSES = (
    "pending_payment",
    "paid",
    "shipped",
    "completed",
    "closed",
    "partially_refunded",
    "refunded",
)
# Statuses whose money counts as sales (net of refunds). Unpaid and closed orders never do.
REVENUE_STATUSES = ("paid", "shipped", "completed", "partially_refunded", "refunded")


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (CheckConstraint(f"platform IN ({sql_in(PLATFORMS)})", name="platform"),)

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("categories.id"))


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(128), unique=True)  # merchant code, or title key
    title: Mapped[str] = mapped_column(String(500))
    category_id: Mapped[int | None] = mapped_column(Id, ForeignKey("categories.id"), index=True)


class Sku(Base):
    __tablename__ = "skus"

    id: Mapped[int] = id_column()
    product_id: Mapped[int] = mapped_column(Id, ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    properties: Mapped[str | None] = mapped_column(String(500))
    list_price_fen: Mapped[int | None] = mapped_column(BigInteger)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_order_id"),
        CheckConstraint(f"status IN ({sql_in(ORDER_STATUSES)})", name="status"),
        CheckConstraint("amount_grain IN ('order', 'line')", name="amount_grain"),
        # covering: a customer's history (profiles, the 360) reads the index alone, not one
        # table row per order scattered by import order (docs/benchmarks.md, refresh)
        Index(
            "ix_orders_customer_history",
            "customer_id",
            "ordered_at",
            "id",
            "paid_fen",
            "refunded_fen",
            "status",
            "shop_id",
        ),
        Index("ix_orders_ordered_at", "ordered_at"),
    )

    id: Mapped[int] = id_column()
    shop_id: Mapped[int] = mapped_column(Id, ForeignKey("shops.id"))
    platform_order_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(24))
    raw_status: Mapped[str] = mapped_column(String(100), default="")
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    total_fen: Mapped[int | None] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_grain: Mapped[str] = mapped_column(String(8), default="order")
    coupon_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_key"),)

    id: Mapped[int] = id_column()
    order_id: Mapped[int] = mapped_column(Id, ForeignKey("orders.id", ondelete="CASCADE"))
    line_key: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int | None] = mapped_column(Id, ForeignKey("products.id"), index=True)
    sku_id: Mapped[int | None] = mapped_column(Id, ForeignKey("skus.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(Id, ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    sku_properties: Mapped[str | None] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    paid_fen: Mapped[int | None] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str | None] = mapped_column(String(24))
