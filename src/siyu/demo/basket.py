"""What each order contains: SKUs, quantities, discounts, gifts and refunds, in integer fen.

Spend is Gamma-Gamma-like: each buyer has a typical order value ν ~ Gamma, each order a target
~ Gamma around ν, and SKUs are drawn (Gumbel-max over popularity × closeness of price to the
target) so big spenders buy serums and sets, small ones cleansers and trial sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from siyu.demo.catalog import GIFT_THRESHOLD_FEN, SHOPS, SKUS, ShopKey, sku_arrays
from siyu.demo.timeline import Refund

GIFT_SKU = len(SKUS)  # the gift sub-order's "SKU index"
MEAN_SPEND_FEN = 23_000
SPEND_SHAPE = 3.0
ORDER_SPEND_SHAPE = 5.0
PRICE_SPREAD = 0.6  # log-price tolerance around the target
SECOND_ITEM_SHARE = 0.32
THIRD_ITEM_SHARE = 0.30  # of orders with a second item
EXTRA_QUANTITY_SHARE = 0.08
GIFT_SHARE = 0.8
CHUNK = 100_000
Int = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Lines:
    """One entry per order line, sorted by order (a gift last in its order)."""

    order: Int
    sku: Int  # index into SKUS, or GIFT_SKU
    quantity: Int
    unit_fen: Int
    discount_fen: Int
    paid_fen: Int  # unit × quantity − discount
    refund_fen: Int

    @property
    def gift(self) -> NDArray[np.bool_]:
        gift: NDArray[np.bool_] = self.sku == GIFT_SKU
        return gift


def spend_levels(rng: np.random.Generator, buyers: int) -> NDArray[np.float64]:
    return rng.gamma(SPEND_SHAPE, MEAN_SPEND_FEN / SPEND_SHAPE, size=buyers)


def fill_baskets(
    rng: np.random.Generator, spend: NDArray[np.float64], buyer: Int, shop: Int
) -> Lines:
    count = buyer.size
    target = rng.gamma(ORDER_SPEND_SHAPE, spend[buyer] / ORDER_SPEND_SHAPE)
    second = rng.random(count) < SECOND_ITEM_SHARE
    third = second & (rng.random(count) < THIRD_ITEM_SHARE)
    draws = np.where(shop == ShopKey.PDD, 1, 1 + second + third)  # a PDD order is one item
    draw_order = np.repeat(np.arange(count, dtype=np.int64), draws)
    sku = _draw_skus(rng, target[draw_order] / draws[draw_order])
    keys, quantity = np.unique(draw_order * len(SKUS) + sku, return_counts=True)
    order, sku = keys // len(SKUS), keys % len(SKUS)
    quantity = quantity + (rng.random(keys.size) < EXTRA_QUANTITY_SHARE)
    prices, _ = sku_arrays()
    order, sku, quantity = _add_gifts(rng, order, sku, quantity, prices, shop)
    unit = np.where(sku == GIFT_SKU, 0, prices[np.minimum(sku, GIFT_SKU - 1)])
    rates = _discount_rates(rng, shop)[order]
    discount = np.rint(unit * quantity * rates).astype(np.int64)
    return Lines(
        order=order,
        sku=sku,
        quantity=quantity.astype(np.int64),
        unit_fen=unit,
        discount_fen=discount,
        paid_fen=unit * quantity - discount,
        refund_fen=np.zeros(order.size, dtype=np.int64),
    )


def _draw_skus(rng: np.random.Generator, targets: NDArray[np.float64]) -> Int:
    prices, popularity = sku_arrays()
    log_prices, log_popularity = np.log(prices), np.log(popularity)
    chosen = np.empty(targets.size, dtype=np.int64)
    for start in range(0, targets.size, CHUNK):
        log_target = np.log(np.maximum(targets[start : start + CHUNK], 1.0))[:, None]
        score = log_popularity - (log_prices - log_target) ** 2 / (2 * PRICE_SPREAD**2)
        score = score + rng.gumbel(size=score.shape)
        chosen[start : start + CHUNK] = np.argmax(score, axis=1)
    return chosen


def _add_gifts(
    rng: np.random.Generator, order: Int, sku: Int, quantity: Int, prices: Int, shop: Int
) -> tuple[Int, Int, Int]:
    """Douyin sends a trial-size gift as its own sub-order at 0.00 with bigger orders."""
    goods = np.bincount(order, weights=prices[sku] * quantity, minlength=shop.size)
    gets_gift = (shop == ShopKey.DOUYIN) & (goods >= GIFT_THRESHOLD_FEN)
    gets_gift &= rng.random(shop.size) < GIFT_SHARE
    gift_orders = np.flatnonzero(gets_gift).astype(np.int64)
    order = np.concatenate([order, gift_orders])
    sku = np.concatenate([sku, np.full(gift_orders.size, GIFT_SKU, dtype=np.int64)])
    quantity = np.concatenate([quantity, np.ones(gift_orders.size, dtype=np.int64)])
    arrangement = np.lexsort((sku, order))
    return order[arrangement], sku[arrangement], quantity[arrangement]


def _discount_rates(rng: np.random.Generator, shop: Int) -> NDArray[np.float64]:
    rates = np.zeros(shop.size)
    for spec in SHOPS:
        here = np.flatnonzero(shop == spec.key)
        rates[here] = rng.choice(np.array(spec.discount_rates), size=here.size)
    return rates


def non_gift_counts(lines: Lines, orders: int) -> Int:
    return np.bincount(lines.order[~lines.gift], minlength=orders).astype(np.int64)


def allocate_refunds(rng: np.random.Generator, lines: Lines, refund: Int, line_start: Int) -> Lines:
    """Full refunds return every line; a partial refund returns one whole item of a multi-item
    order, or part of the only item's price (a 仅退款 compensation, in whole yuan)."""
    orders = refund.size
    items = non_gift_counts(lines, orders)
    chosen = line_start + (rng.random(orders) * np.maximum(items, 1)).astype(np.int64)
    share = np.rint(lines.paid_fen * rng.uniform(0.2, 0.5, lines.order.size) / 100) * 100
    line_index = np.arange(lines.order.size)
    kind = refund[lines.order]
    whole_item = (items[lines.order] >= 2) & (line_index == chosen[lines.order])
    part = np.clip(share.astype(np.int64), 100, lines.paid_fen)
    amount = np.select(
        [kind == Refund.FULL, (kind == Refund.PARTIAL) & whole_item],
        [lines.paid_fen, lines.paid_fen],
        np.where((kind == Refund.PARTIAL) & (items[lines.order] < 2) & ~lines.gift, part, 0),
    )
    return replace(lines, refund_fen=amount.astype(np.int64))
