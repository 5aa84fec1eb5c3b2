"""Where each order is placed, and who the package-insert card (包裹卡) brings into WeCom.

Every buyer has a home shop, where the first order is placed. A slice of buyers also shops in a
second store. The card in the first parcel invites the buyer to add a shopping guide on WeCom;
engaged buyers (higher purchase rate) accept more often. Once in WeCom, a share of later orders
moves to the brand's own mini-program: the private-domain 2nd/3rd-order conversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siyu.demo.catalog import SHOPS, ShopKey
from siyu.demo.clock import DAY, HOUR, MISSING
from siyu.demo.simulate import Purchases
from siyu.demo.timeline import Fates

SECOND_SHOP_SHARE = 0.15
SECOND_SHOP_ORDER_SHARE = 0.45
MINI_PROGRAM_CONVERSION = 0.35  # of orders placed after joining WeCom
CARD_RESPONSE_DAYS = 14


@dataclass(frozen=True, slots=True)
class Channels:
    shop: NDArray[np.int64]  # per order: ShopKey
    joined_at: NDArray[np.int64]  # per buyer: when the buyer added a guide, or MISSING
    joined_via: NDArray[np.int64]  # per buyer: the ShopKey whose card (or mini-program) it was


def assign_channels(
    rng: np.random.Generator, purchases: Purchases, fates: Fates, *, buyers: int, now: int
) -> Channels:
    home = _draw_shops(rng, buyers)
    second = _other_shop(rng, home)
    has_second = rng.random(buyers) < SECOND_SHOP_SHARE
    joined_at = _joined_at(rng, purchases, fates, home, now)
    who = purchases.buyer
    shop = home[who].copy()
    to_second = has_second[who] & (purchases.ordinal > 0)
    to_second &= rng.random(who.size) < SECOND_SHOP_ORDER_SHARE
    shop[to_second] = second[who][to_second]
    converted = (joined_at[who] != MISSING) & (purchases.at > joined_at[who])
    converted &= rng.random(who.size) < MINI_PROGRAM_CONVERSION
    shop[converted] = ShopKey.MINI
    return Channels(shop=shop, joined_at=joined_at, joined_via=home)


def _draw_shops(rng: np.random.Generator, count: int) -> NDArray[np.int64]:
    weights = np.array([shop.home_weight for shop in SHOPS])
    return rng.choice(len(SHOPS), size=count, p=weights / weights.sum()).astype(np.int64)


def _other_shop(rng: np.random.Generator, home: NDArray[np.int64]) -> NDArray[np.int64]:
    drawn = _draw_shops(rng, home.size)
    shifted = (home + rng.integers(1, len(SHOPS), size=home.size)) % len(SHOPS)
    return np.where(drawn == home, shifted, drawn)


def _joined_at(
    rng: np.random.Generator,
    purchases: Purchases,
    fates: Fates,
    home: NDArray[np.int64],
    now: int,
) -> NDArray[np.int64]:
    """The first parcel's card: only a parcel that was shipped can carry it."""
    first = np.flatnonzero(purchases.ordinal == 0)  # one per buyer, in buyer order
    shipped = fates.shipped_at[first]
    rate = np.array([shop.wecom_rate for shop in SHOPS])[home]
    engagement = 0.6 + 0.8 * _percentile(purchases.rate)
    accepts = rng.random(home.size) < rate * engagement
    parcel_arrives = shipped + rng.uniform(1 * DAY, 4 * DAY, home.size).astype(np.int64)
    card = parcel_arrives + rng.uniform(HOUR, CARD_RESPONSE_DAYS * DAY, home.size).astype(np.int64)
    in_app = purchases.at[first] + rng.uniform(HOUR, 2 * DAY, home.size).astype(np.int64)
    moment = np.where(home == ShopKey.MINI, in_app, card)
    joined = accepts & ~fates.unpaid[first] & (shipped != MISSING) & (moment < now)
    return np.where(joined, moment, MISSING)


def _percentile(values: NDArray[np.float64]) -> NDArray[np.float64]:
    if values.size == 0:
        return values
    ranks = np.argsort(np.argsort(values))
    return ranks / max(values.size - 1, 1)
