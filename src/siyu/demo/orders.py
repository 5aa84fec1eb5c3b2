"""All orders of the demo merchant: purchases, shops, baskets and timelines put together."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siyu.demo.basket import Lines, allocate_refunds, fill_baskets, non_gift_counts, spend_levels
from siyu.demo.catalog import ShopKey
from siyu.demo.channels import Channels, assign_channels
from siyu.demo.clock import Calendar
from siyu.demo.simulate import simulate_purchases
from siyu.demo.timeline import Refund, Timeline, draw_fates, resolve

FREE_SHIPPING_FROM_FEN = 4_900
SHIPPING_FEN = 600
SHOPS_WITH_SHIPPING = (ShopKey.TMALL, ShopKey.JD)
SHOPS_WITH_PENDING = (ShopKey.TMALL, ShopKey.JD, ShopKey.MINI)
SHOPS_WITH_PARTIAL_REFUND = (ShopKey.TMALL, ShopKey.MINI)
Int = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Orders:
    """One entry per order, sorted by buyer then time; a buyer's index is its person index."""

    buyer: Int
    shop: Int  # ShopKey
    ordered_at: Int
    timeline: Timeline
    lines: Lines
    line_start: Int
    line_count: Int
    shipping_fen: Int
    channels: Channels

    goods_list_fen: Int  # Σ unit price × quantity
    goods_paid_fen: Int  # Σ line amounts after discounts, without postage
    refund_fen: Int  # line refunds, plus the postage when the whole order was refunded
    quantity: Int  # items in the order

    @property
    def count(self) -> int:
        return int(self.buyer.size)


def simulate_orders(streams: list[np.random.Generator], buyers: int, calendar: Calendar) -> Orders:
    """`streams`: five independent generators (purchases, fates, channels, baskets, refunds)."""
    purchases = simulate_purchases(streams[0], buyers, calendar)
    fates = draw_fates(streams[1], purchases.at)
    channels = assign_channels(streams[2], purchases, fates, buyers=buyers, now=calendar.now)
    shop = channels.shop
    spend = spend_levels(streams[3], buyers)
    lines = fill_baskets(streams[3], spend, purchases.buyer, shop)
    line_count = np.bincount(lines.order, minlength=shop.size).astype(np.int64)
    line_start = np.concatenate([[0], np.cumsum(line_count)[:-1]]).astype(np.int64)
    partial_shown = np.isin(shop, SHOPS_WITH_PARTIAL_REFUND)
    partial_shown |= (shop == ShopKey.DOUYIN) & (non_gift_counts(lines, shop.size) >= 2)
    timeline = resolve(
        fates,
        pending_shown=np.isin(shop, SHOPS_WITH_PENDING),
        partial_shown=partial_shown,
        now=calendar.now,
    )
    lines = allocate_refunds(streams[4], lines, timeline.refund, line_start)
    goods = _per_order(lines, lines.paid_fen)
    postage = np.isin(shop, SHOPS_WITH_SHIPPING) & (goods < FREE_SHIPPING_FROM_FEN)
    shipping = np.where(postage, SHIPPING_FEN, 0).astype(np.int64)
    refunded_postage = np.where(timeline.refund == Refund.FULL, shipping, 0)
    return Orders(
        buyer=purchases.buyer,
        shop=shop,
        ordered_at=purchases.at,
        timeline=timeline,
        lines=lines,
        line_start=line_start,
        line_count=line_count,
        shipping_fen=shipping,
        channels=channels,
        goods_list_fen=_per_order(lines, lines.unit_fen * lines.quantity),
        goods_paid_fen=goods,
        refund_fen=_per_order(lines, lines.refund_fen) + refunded_postage,
        quantity=_per_order(lines, lines.quantity),
    )


def _per_order(lines: Lines, values: Int) -> Int:
    orders = int(lines.order.max()) + 1 if lines.order.size else 0
    return np.bincount(lines.order, weights=values, minlength=orders).astype(np.int64)
