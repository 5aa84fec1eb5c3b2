"""Ledger invariants under random sequences of earn, refund, redeem, adjust and expiry.

A plain Python model keeps points as a first-in-first-out queue of lots; after every step the
store must agree with it: the balance equals the ledger sum and the model's, is never
negative, and expiry has taken exactly the model's expired points, lot by lot.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from siyu.commerce.tables import Order, Shop
from siyu.customers.tables import Customer
from siyu.db.engine import transaction
from siyu.loyalty.calendar import add_months
from siyu.loyalty.errors import LoyaltyError
from siyu.loyalty.points import adjust_points, points_balance, redeem_points
from siyu.loyalty.points_sync import sync_points
from siyu.loyalty.tables import PointsEntry
from tests.builders import make_customer, make_order, make_shop

START = datetime(2024, 1, 1, 12, tzinfo=UTC)
VALIDITY_MONTHS = 12  # the default rule


@dataclass
class Lot:
    occurred_at: datetime
    left: int


@dataclass
class Model:
    """The specification: lots in a queue; debits and expiry take from its head."""

    lots: list[Lot] = field(default_factory=list)
    expired: int = 0
    orders: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # paid, earned, taken

    @property
    def balance(self) -> int:
        return sum(lot.left for lot in self.lots)

    def expire(self, now: datetime) -> None:
        cutoff = add_months(now, -VALIDITY_MONTHS)
        while self.lots and self.lots[0].occurred_at <= cutoff:
            self.expired += self.lots.pop(0).left

    def debit(self, points: int) -> None:
        while points:
            taken = min(points, self.lots[0].left)
            self.lots[0].left -= taken
            points -= taken
            if not self.lots[0].left:
                self.lots.pop(0)


STEP = st.one_of(
    st.tuples(st.just("order"), st.integers(1, 50_000)),  # fen paid
    st.tuples(st.just("refund"), st.integers(0, 100)),  # percent of the newest order refunded
    st.tuples(st.just("redeem"), st.integers(1, 400)),
    st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool)),
    st.tuples(st.just("expire"), st.just(0)),
)
STEPS = st.lists(st.tuples(STEP, st.integers(0, 200)), min_size=1, max_size=14)  # + days


@dataclass
class World:
    engine: Engine
    shop_id: int
    customer_id: int
    model: Model

    def sync(self, now: datetime) -> None:
        self.model.expire(now)
        with transaction(self.engine) as session:
            sync_points(session, now=now)

    def order(self, paid_fen: int, now: datetime) -> None:
        with transaction(self.engine) as session:
            order = make_order(
                session,
                shop=session.get_one(Shop, self.shop_id),
                customer=session.get_one(Customer, self.customer_id),
                paid_fen=paid_fen,
                ordered_at=now,
            )
        self.sync(now)
        if paid_fen // 100:
            self.model.lots.append(Lot(now, paid_fen // 100))
        self.model.orders[order.id] = (paid_fen, paid_fen // 100, 0)

    def refund(self, percent: int, now: datetime) -> None:
        if not self.model.orders:
            return
        order_id = max(self.model.orders)
        with transaction(self.engine) as session:
            order = session.get_one(Order, order_id)
            order.refunded_fen = max(order.refunded_fen, order.paid_fen * percent // 100)
            fully = order.refunded_fen == order.paid_fen
            order.status = "refunded" if fully else "partially_refunded"
            refunded = order.refunded_fen
        self.sync(now)
        paid, earned, taken = self.model.orders[order_id]
        more = earned * refunded // paid - taken
        if more > 0:
            self.model.debit(min(more, self.model.balance))
            self.model.orders[order_id] = (paid, earned, taken + more)

    def credit(self, points: int, now: datetime) -> None:
        with transaction(self.engine) as session:
            adjust_points(
                session,
                customer_id=self.customer_id,
                points=points,
                reason="r",
                operator="o",
                now=now,
            )
        self.model.lots.append(Lot(now, points))

    def debit(self, kind: str, points: int, now: datetime) -> None:
        before = (copy.deepcopy(self.model.lots), self.model.expired)
        self.model.expire(now)  # a debit expires what is due first…
        refused: LoyaltyError | None = None
        try:
            with transaction(self.engine) as session:
                if kind == "redeem":
                    redeem_points(
                        session, customer_id=self.customer_id, points=points, reason="r", now=now
                    )
                else:
                    adjust_points(
                        session,
                        customer_id=self.customer_id,
                        points=-points,
                        reason="r",
                        operator="o",
                        now=now,
                    )
        except LoyaltyError as error:
            refused = error
        if refused is None:
            assert points <= self.model.balance
            self.model.debit(points)
        else:
            assert refused.code == "insufficient_points"
            assert points > self.model.balance
            self.model.lots, self.model.expired = before  # …but a refused one changes nothing

    def step(self, kind: str, amount: int, now: datetime) -> None:
        if kind == "order":
            self.order(amount, now)
        elif kind == "refund":
            self.refund(amount, now)
        elif kind == "expire":
            self.sync(now)
        elif kind == "adjust" and amount > 0:
            self.credit(amount, now)
        else:
            self.debit(kind, abs(amount), now)

    def check(self) -> None:
        with transaction(self.engine) as session:
            view = points_balance(session, self.customer_id)
            rows = session.execute(
                select(PointsEntry.kind, PointsEntry.points).where(
                    PointsEntry.customer_id == self.customer_id
                )
            ).all()
        assert view.balance == sum(points for _, points in rows) == self.model.balance >= 0
        expired = sum(-points for kind, points in rows if kind == "expire")
        assert expired == self.model.expired
        lots = [(add_months(lot.occurred_at, VALIDITY_MONTHS), lot.left) for lot in self.model.lots]
        assert [(lot.expires_at, lot.points) for lot in view.expiring] == lots


def test_ledger_matches_a_fifo_model(engine: Engine) -> None:
    examples = 60 if engine.dialect.name == "sqlite" else 40

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=STEPS)
    def check(steps: list[tuple[tuple[str, int], int]]) -> None:
        with transaction(engine) as session:  # each example: its own shop and customer
            world = World(engine, make_shop(session).id, make_customer(session).id, Model())
        now = START
        for (kind, amount), days in steps:
            now += timedelta(days=days)
            world.step(kind, amount, now)
            world.check()

    check()
