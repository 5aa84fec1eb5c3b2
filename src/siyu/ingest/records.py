"""The records every parser yields and every loader consumes.

This is the contract between `siyu.ingest.formats` (bytes in a platform's layout -> records) and
`siyu.ingest.load` (records -> the store). Parsers never touch the database; loaders never look at
a platform's column names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class OrderStatus(enum.StrEnum):
    """The one status model every platform status maps onto."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CLOSED = "closed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Grain(enum.StrEnum):
    """Which order amounts a row carries.

    ORDER: the row's order amounts are the whole order's (Taobao ExportOrderList, Youzan, PDD,
    and JD, whose order amounts repeat on each SKU row): the loader sets them, never sums them.
    LINE: the row's amounts belong to its line only (Douyin sub-orders, Taobao detail files,
    siyu's orders-csv): the order's amounts are the sum of its lines.
    """

    ORDER = "order"
    LINE = "line"


class BuyerKeyKind(enum.StrEnum):
    """Identity kinds, strongest first (see siyu.customers.identity for the OneID rules)."""

    EXTERNAL_USERID = "external_userid"
    UNIONID = "unionid"
    OPENID = "openid"
    PHONE = "phone"  # a real, unmasked phone, stored as E.164
    BUYER_ID = "buyer_id"  # a platform buyer id, scoped by platform
    EMAIL = "email"
    CUSTOMER_REF = "customer_ref"  # a merchant-system customer id (orders-csv customer_id)
    MASKED_PHONE = "masked_phone"  # 138****1234 or ciphertext: a weak hint, never merges


@dataclass(frozen=True, slots=True)
class BuyerKey:
    kind: BuyerKeyKind
    value: str


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who placed an order, as far as the file tells. Values are cleaned but not yet normalised
    for identity (the identity module normalises phones to E.164 and lower-cases e-mail)."""

    keys: tuple[BuyerKey, ...] = ()
    name: str | None = None
    province: str | None = None
    city: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLineRecord:
    """One line (sub-order / SKU row). `line_key` is stable across re-exports: the platform's
    sub-order id where there is one, else a deterministic key built from the row's content."""

    line_key: str
    title: str
    quantity: int = 1
    unit_price_fen: int | None = None
    paid_fen: int | None = None
    refunded_fen: int = 0
    sku_code: str | None = None
    product_code: str | None = None
    sku_properties: str | None = None
    category: str | None = None
    status: OrderStatus | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One data row of an order file, cleaned and typed.

    Money is integer fen (Decimal-parsed, never float). Datetimes are time zone-aware
    (Asia/Shanghai unless the file says otherwise). Ids are text.
    """

    line_no: int  # 1-based physical row number in the file (the header is a row too)
    platform: str  # tmall/taobao, jd, pdd, douyin, youzan, or the orders-csv `platform`
    order_id: str
    status: OrderStatus
    raw_status: str
    ordered_at: datetime
    grain: Grain
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    completed_at: datetime | None = None
    total_fen: int | None = None  # list/goods total before discounts, when the file has it
    paid_fen: int = 0  # what the buyer paid (before refunds)
    refunded_fen: int = 0
    shipping_fen: int = 0
    shop_name: str | None = None
    buyer: Buyer = field(default_factory=Buyer)
    line: OrderLineRecord | None = None
    coupon_code: str | None = None
    warnings: tuple[str, ...] = ()  # e.g. unknown status: kept, mapped, and reported


class EventType(enum.StrEnum):
    SEARCH = "search"
    VIEW = "view"
    FOLLOW = "follow"
    FAVOURITE = "favourite"
    CART = "cart"
    SHARE = "share"


@dataclass(frozen=True, slots=True)
class EventRecord:
    line_no: int
    event_type: EventType
    occurred_at: datetime
    buyer: Buyer
    item: str | None = None
    category: str | None = None
    platform: str | None = None
    shop_name: str | None = None


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One staff-member / external-contact edge from externalcontact/batch/get_by_user."""

    line_no: int  # 1-based position of the contact in the file(s)
    staff_userid: str
    external_userid: str
    name: str | None
    added_at: datetime | None
    state: str | None  # the 「联系我」 channel code: the acquisition channel key
    add_way: int | None
    unionid: str | None = None
    remark_mobiles: tuple[str, ...] = ()
    tag_ids: tuple[str, ...] = ()
    contact_type: int | None = None  # 1 WeChat user, 2 WeCom user


@dataclass(frozen=True, slots=True)
class GroupMemberRecord:
    userid: str  # external_userid for customers (type 2), staff userid for members (type 1)
    member_type: int
    joined_at: datetime | None
    join_scene: int | None = None
    unionid: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class GroupRecord:
    line_no: int
    chat_id: str
    name: str | None
    owner_userid: str
    created_at: datetime | None
    members: tuple[GroupMemberRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row a parser could not use. Nothing is dropped silently: the loader stores it."""

    line_no: int
    reason: str
    raw: str


ParsedOrderRow = OrderRecord | RejectedRow
