"""A small random merchant for the property test: customers (some merged away), profiles,
tags, behaviour events, orders with lines, consents and referrals — written through the store,
and kept in plain Python for the reference evaluator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from sqlalchemy import MetaData, Table, insert, inspect, text
from sqlalchemy.orm import Session

from siyu.analytics.rfm import SEGMENTS as RFM_SEGMENTS
from siyu.analytics.tables import STAGES, CustomerProfile
from siyu.commerce.tables import Category, Order, OrderLine, Product, Shop, Sku
from siyu.customers.tables import BehaviourEvent, Customer
from siyu.segments.tables import CustomerTag
from siyu.segments.tags import ensure_tag

ZONE = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 6, 15)
CATEGORIES = ("护肤", "彩妆")
SKUS = ("s1", "s2")
PLATFORMS = ("tmall", "jd", "pdd")
CHANNELS = ("tmall", "jd", "wecom", "behaviour")
TAGS = (("a", None), ("b", "g1"), ("c", "g1"))
EVENT_TYPES = ("view", "favourite", "cart", "search")
ORDER_STATUSES = ("pending_payment", "paid", "completed", "refunded", "closed")
MONEY = (0, 100, 500, 1_000)
SHARES = (0.0, 0.25, 0.5, 1.0)
CONSENT_CHANNELS = ("sms", "wecom", "all")
CONSENT_PURPOSES = ("marketing", "service")
REFERRAL_STATUSES = ("pending", "qualified", "rewarded", "rejected")
TIERS = ("normal", "silver", "gold")
LOCAL_MIDNIGHT = datetime.combine(AS_OF, time(), ZONE).astimezone(UTC)


@dataclass
class Person:
    key: int  # position in the world, before ids exist
    merged_into: int | None
    profile: dict[str, Any] | None
    tags: set[int]  # indexes into TAGS
    events: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    consents: dict[tuple[str, str], tuple[bool, int]] = field(default_factory=dict)
    invited: list[tuple[int, str]] = field(default_factory=list)  # (invitee key, status)
    tier: str | None = None  # the member tier's level code
    id: int = 0


@dataclass
class World:
    people: list[Person]
    tag_ids: list[int] = field(default_factory=list)

    def by_id(self) -> dict[int, Person]:
        return {person.id: person for person in self.people}


moments = st.builds(
    lambda hours, nudge: LOCAL_MIDNIGHT + timedelta(hours=hours, seconds=nudge),
    st.integers(-20 * 24, 2 * 24).map(lambda hours: hours - hours % 6),
    st.sampled_from((0, 0, -1, 1)),
)
days = st.integers(-20, 20).map(lambda offset: AS_OF + timedelta(days=offset))
maybe = st.one_of  # readability: maybe(st.none(), x)


def profiles() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "stage": st.sampled_from(STAGES),
            "rfm_r": maybe(st.none(), st.integers(1, 5)),
            "rfm_f": maybe(st.none(), st.integers(1, 5)),
            "rfm_m": maybe(st.none(), st.integers(1, 5)),
            "rfm_segment": maybe(st.none(), st.sampled_from(RFM_SEGMENTS)),
            "orders": st.integers(0, 5),
            "purchase_days": st.integers(0, 5),
            "net_revenue_fen": st.sampled_from(MONEY),
            "aov_fen": st.sampled_from(MONEY),
            "clv_fen": maybe(st.none(), st.sampled_from(MONEY)),
            "p_alive": maybe(st.none(), st.sampled_from(SHARES)),
            "first_order_at": maybe(st.none(), moments),
            "last_order_at": maybe(st.none(), moments),
            "next_purchase_on": maybe(st.none(), days),
            "stage_since": maybe(st.none(), days),
            "top_category": maybe(st.none(), st.sampled_from(CATEGORIES)),
            "category_scores": st.dictionaries(
                st.sampled_from(CATEGORIES), st.sampled_from(SHARES)
            ),
            "by_platform": st.dictionaries(
                st.sampled_from(PLATFORMS), st.just({"orders": 1, "net_revenue_fen": 100})
            ),
            "acquisition_channel": maybe(st.none(), st.sampled_from(CHANNELS)),
            "reachable": st.booleans(),
            "has_value_behaviour": st.booleans(),
        }
    )


events = st.fixed_dictionaries(
    {
        "event_type": st.sampled_from(EVENT_TYPES),
        "occurred_at": moments,
        "category": maybe(st.none(), st.sampled_from(CATEGORIES)),
        "item": maybe(st.none(), st.sampled_from(("i1", "i2"))),
    }
)
orders = st.fixed_dictionaries(
    {
        "status": st.sampled_from(ORDER_STATUSES),
        "paid_fen": st.sampled_from((0, 100, 200)),
        "refunded_fen": st.sampled_from((0, 0, 100, 200)),
        "ordered_at": moments,
        "lines": st.lists(
            st.tuples(maybe(st.none(), st.sampled_from(SKUS)), st.sampled_from(CATEGORIES)),
            min_size=1,
            max_size=2,
        ),
    }
)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    size = draw(st.integers(1, 8))
    people = []
    for key in range(size):
        merged = draw(maybe(st.none(), st.integers(0, size - 1))) if key > 0 else None
        people.append(
            Person(
                key=key,
                merged_into=merged if merged is not None and merged < key else None,
                profile=draw(maybe(st.none(), profiles())),
                tags=draw(st.sets(st.integers(0, len(TAGS) - 1))),
                events=draw(st.lists(events, max_size=4)),
                orders=draw(st.lists(orders, max_size=3)),
                consents=draw(
                    st.dictionaries(
                        st.tuples(
                            st.sampled_from(CONSENT_CHANNELS), st.sampled_from(CONSENT_PURPOSES)
                        ),
                        st.tuples(st.booleans(), st.integers(0, 3)),
                        max_size=3,
                    )
                ),
                tier=draw(maybe(st.none(), st.sampled_from(TIERS))),
            )
        )
    invitees = draw(st.lists(st.integers(0, size - 1), unique=True, max_size=size))
    for invitee in invitees:
        inviter = draw(st.integers(0, size - 1))
        people[inviter].invited.append((invitee, draw(st.sampled_from(REFERRAL_STATUSES))))
    return World(people)


def write_world(session: Session, world: World) -> None:
    """Insert the world through the store (ids are assigned here)."""
    shop = Shop(code="w-shop", name="world shop", platform="tmall")
    session.add(shop)
    categories = {name: Category(name=name) for name in CATEGORIES}
    session.add_all(categories.values())
    session.flush()
    product = Product(code="p1", title="product", category_id=categories["护肤"].id)
    session.add(product)
    session.flush()
    skus = {code: Sku(code=code, product_id=product.id) for code in SKUS}
    session.add_all(skus.values())
    world.tag_ids = [ensure_tag(session, name=name, group=group).id for name, group in TAGS]
    for person in world.people:
        customer = Customer(display_name=f"person {person.key}")
        session.add(customer)
        session.flush()
        person.id = customer.id
    for person in world.people:
        if person.merged_into is not None:
            session.get(Customer, person.id).merged_into_id = world.people[person.merged_into].id  # type: ignore[union-attr]
        _write_person(session, world, person, shop.id, categories, skus)
    session.flush()
    _write_optional(session, world)


def _write_person(
    session: Session,
    world: World,
    person: Person,
    shop_id: int,
    categories: dict[str, Category],
    skus: dict[str, Sku],
) -> None:
    if person.profile is not None:
        session.add(CustomerProfile(customer_id=person.id, **person.profile))
    for index in sorted(person.tags):
        session.add(CustomerTag(customer_id=person.id, tag_id=world.tag_ids[index]))
    for number, event in enumerate(person.events):
        session.add(
            BehaviourEvent(customer_id=person.id, event_key=f"{person.id}-{number}", **event)
        )
    for number, order in enumerate(person.orders):
        row = Order(
            shop_id=shop_id,
            platform_order_id=f"{person.id}-{number}",
            customer_id=person.id,
            status=order["status"],
            ordered_at=order["ordered_at"],
            paid_fen=order["paid_fen"],
            refunded_fen=order["refunded_fen"],
        )
        session.add(row)
        session.flush()
        for line, (sku, category) in enumerate(order["lines"]):
            session.add(
                OrderLine(
                    order_id=row.id,
                    line_key=str(line),
                    category_id=categories[category].id,
                    sku_id=skus[sku].id if sku else None,
                    product_id=None,
                )
            )


def optional_tables(session: Session) -> set[str]:
    return {
        name
        for name in ("consents", "referrals", "member_tiers")
        if inspect(session.connection()).has_table(name)
    }


def _write_optional(session: Session, world: World) -> None:
    present = optional_tables(session)
    moment = LOCAL_MIDNIGHT
    if "consents" in present:
        rows = [
            {
                "customer_id": person.id,
                "channel": channel,
                "purpose": purpose,
                "granted": granted,
                "at": moment + timedelta(hours=hour),
            }
            for person in world.people
            for (channel, purpose), (granted, hour) in person.consents.items()
        ]
        insert_rows(session, "consents", rows)
    if "referrals" in present:
        rows = [
            {"inviter_id": person.id, "invitee_id": world.people[invitee].id, "status": status}
            for person in world.people
            for invitee, status in person.invited
        ]
        insert_rows(session, "referrals", rows)
    if "member_tiers" in present:
        _write_tiers(session, world)


def _write_tiers(session: Session, world: World) -> None:
    levels = [
        {"code": code, "name": code, "rank": rank, "points_multiplier_percent": 100}
        for rank, code in enumerate(TIERS)
    ]
    insert_rows(session, "tier_levels", levels)
    found = session.execute(text("SELECT code, id FROM tier_levels"))
    ids = {str(code): int(id_) for code, id_ in found}
    rows = [
        {"customer_id": person.id, "tier_id": ids[person.tier]}
        for person in world.people
        if person.tier is not None
    ]
    insert_rows(session, "member_tiers", rows)


def insert_rows(session: Session, name: str, rows: list[dict[str, Any]]) -> None:
    """Insert into another capability's table, filling its other required columns."""
    if not rows:
        return
    table = Table(name, MetaData(), autoload_with=session.connection(), resolve_fks=False)
    values = {str: "x", int: 0, bool: False, datetime: LOCAL_MIDNIGHT}
    filler = {
        column.name: values[column.type.python_type]
        for column in table.columns
        if column.name not in rows[0]
        and not column.nullable
        and not column.primary_key
        and column.server_default is None
    }
    session.execute(insert(table), [filler | row for row in rows])
