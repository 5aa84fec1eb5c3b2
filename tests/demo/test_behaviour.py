"""The simulated merchant behaves believably: heterogeneous repeat buying, refunds, statuses that
follow time, package cards bringing buyers into WeCom after their first order."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from siyu.demo import DemoManifest
from siyu.demo.catalog import CATEGORIES, SKUS, ShopKey
from siyu.demo.clock import DAY, MISSING, Calendar
from siyu.demo.events import prospect_first_visits
from siyu.demo.orders import Orders, simulate_orders
from siyu.demo.simulate import simulate_purchases
from siyu.demo.timeline import STATUSES, code
from siyu.demo.wecom import simulate_contacts
from siyu.ingest.records import OrderStatus

CALENDAR = Calendar.three_years_to(date(2025, 6, 30))
BUYERS = 20_000


@pytest.fixture(scope="module")
def orders() -> Orders:
    return simulate_orders(np.random.default_rng(5).spawn(5), BUYERS, CALENDAR)


def test_the_catalogue_is_a_skincare_range_from_39_to_599_yuan() -> None:
    assert {sku.category for sku in SKUS} == set(CATEGORIES)
    assert min(sku.price_fen for sku in SKUS) == 3_900
    assert max(sku.price_fen for sku in SKUS) == 59_900
    assert len({sku.sku_code for sku in SKUS}) == len(SKUS)


def test_repeat_buying_differs_from_customer_to_customer() -> None:
    purchases = simulate_purchases(np.random.default_rng(1), BUYERS, CALENDAR)
    per_buyer = np.bincount(purchases.buyer, minlength=BUYERS)

    assert per_buyer.min() == 1
    assert 0.3 < (per_buyer >= 2).mean() < 0.7
    assert (per_buyer >= 10).sum() > 50
    assert per_buyer.var() > 2 * per_buyer.mean()  # over-dispersed: rates differ
    assert (purchases.at >= CALENDAR.first_second).all()
    assert (purchases.at < CALENDAR.now).all()


def test_orders_of_a_buyer_are_in_time_order(orders: Orders) -> None:
    same_buyer = orders.buyer[1:] == orders.buyer[:-1]
    assert (orders.ordered_at[1:][same_buyer] >= orders.ordered_at[:-1][same_buyer]).all()


def test_spend_per_order_varies_between_customers(orders: Orders) -> None:
    paid = orders.goods_paid_fen
    average = np.bincount(orders.buyer, weights=paid) / np.bincount(orders.buyer)
    assert 15_000 < paid.mean() < 35_000
    assert average.std() / average.mean() > 0.4


def test_statuses_follow_time(orders: Orders) -> None:
    timeline, now = orders.timeline, CALENDAR.now
    status = timeline.status
    age = now - orders.ordered_at

    def where(*wanted: OrderStatus) -> np.ndarray:
        return np.isin(status, [code(s) for s in wanted])

    assert (age[where(OrderStatus.PENDING_PAYMENT)] < DAY).all()
    assert (age[where(OrderStatus.PAID, OrderStatus.SHIPPED)] < 20 * DAY).all()
    assert (
        timeline.paid_at[where(OrderStatus.PENDING_PAYMENT, OrderStatus.CLOSED)] == MISSING
    ).all()
    settled = where(OrderStatus.COMPLETED, OrderStatus.PARTIALLY_REFUNDED)
    assert (timeline.completed_at[settled] >= timeline.shipped_at[settled]).all()
    assert (timeline.shipped_at[settled] > timeline.paid_at[settled]).all()
    assert (timeline.paid_at[settled] > orders.ordered_at[settled]).all()
    assert (timeline.completed_at[settled] < now).all()
    assert (timeline.completed_at[where(OrderStatus.REFUNDED)] == MISSING).all()
    recent = age < 3 * DAY
    assert where(OrderStatus.PAID, OrderStatus.SHIPPED)[recent].mean() > 0.5
    assert where(OrderStatus.COMPLETED)[age > 60 * DAY].mean() > 0.85


def test_refunds_are_about_5_percent_full_and_3_percent_partial(orders: Orders) -> None:
    status = orders.timeline.status
    paid = orders.timeline.paid_at != MISSING
    full = (status == code(OrderStatus.REFUNDED)).sum() / paid.sum()
    shows_partial = np.isin(orders.shop, [ShopKey.TMALL, ShopKey.MINI])
    partial = (status[shows_partial] == code(OrderStatus.PARTIALLY_REFUNDED)).sum()
    assert 0.04 < full < 0.06
    assert 0.02 < partial / paid[shows_partial].sum() < 0.04
    refunded = orders.refund_fen > 0
    assert (
        refunded
        == np.isin(status, [code(OrderStatus.REFUNDED), code(OrderStatus.PARTIALLY_REFUNDED)])
    ).all()
    assert (orders.refund_fen <= orders.goods_paid_fen + orders.shipping_fen).all()


def test_pdd_and_jd_show_no_partial_refund_and_pdd_no_unpaid_open_order(orders: Orders) -> None:
    for shop in (ShopKey.PDD, ShopKey.JD):
        statuses = orders.timeline.status[orders.shop == shop]
        assert (statuses != code(OrderStatus.PARTIALLY_REFUNDED)).all()
    for shop in (ShopKey.PDD, ShopKey.DOUYIN):
        statuses = orders.timeline.status[orders.shop == shop]
        assert (statuses != code(OrderStatus.PENDING_PAYMENT)).all()
    assert STATUSES[0] is OrderStatus.PENDING_PAYMENT


def test_pdd_orders_hold_one_item_and_only_douyin_gives_gifts(orders: Orders) -> None:
    assert (orders.line_count[orders.shop == ShopKey.PDD] == 1).all()
    gift_orders = orders.lines.order[orders.lines.gift]
    assert gift_orders.size > 0
    assert (orders.shop[gift_orders] == ShopKey.DOUYIN).all()
    assert (orders.lines.paid_fen[orders.lines.gift] == 0).all()


def test_about_a_third_of_buyers_join_wecom_after_their_first_order(orders: Orders) -> None:
    joined_at = orders.channels.joined_at
    first = orders.ordered_at[np.flatnonzero(np.r_[True, orders.buyer[1:] != orders.buyer[:-1]])]
    joined = joined_at != MISSING

    assert 0.28 < joined.mean() < 0.40
    assert (joined_at[joined] > first[joined]).all()
    assert (joined_at[joined] < CALENDAR.now).all()


def test_joining_wecom_moves_later_orders_to_the_mini_program(orders: Orders) -> None:
    joined_at = orders.channels.joined_at[orders.buyer]
    after = (joined_at != MISSING) & (orders.ordered_at > joined_at)
    later = np.r_[False, orders.buyer[1:] == orders.buyer[:-1]]
    mini = orders.shop == ShopKey.MINI

    assert mini[after].mean() > 2 * mini[later & ~after].mean()


def test_contacts_come_after_the_first_order_with_the_channel_code(orders: Orders) -> None:
    rng = np.random.default_rng(9)
    prospects = np.arange(BUYERS, BUYERS + 3_000, dtype=np.int64)
    visits = prospect_first_visits(rng, prospects.size, CALENDAR)
    contacts = simulate_contacts(rng, orders, prospects, visits, CALENDAR)
    first_order = np.full(BUYERS + prospects.size, np.iinfo(np.int64).max)
    np.minimum.at(first_order, orders.buyer, orders.ordered_at)
    buyers = contacts.person < BUYERS

    assert (contacts.added_at[buyers] > first_order[contacts.person[buyers]]).all()
    scanned = contacts.add_way == 1  # the first guide, through a channel QR code
    prospect_states = {s for s, p in zip(contacts.state, scanned & ~buyers, strict=True) if p}
    assert prospect_states == {"miniapp"}
    assert {s for s, p in zip(contacts.state, ~scanned, strict=True) if p} == {""}
    assert {"pkgcard_tmall", "pkgcard_jd", "pkgcard_pdd", "pkgcard_douyin", "miniapp", ""} == set(
        contacts.state
    )


def test_the_full_size_demo_has_the_expected_shape(full_demo: DemoManifest) -> None:
    truth = full_demo.truth
    assert truth.persons == 20_000
    assert truth.prospects == 3_000
    assert 0.28 < truth.wecom_buyers / truth.buyers < 0.40
    assert truth.multi_shop_buyers > 0.08 * truth.buyers
    assert truth.groups >= 3
    assert truth.wecom_removed > 0
    assert truth.events > 10 * truth.prospects
