"""When each buyer orders: a BG/NBD-like process, vectorised over buyers.

Each buyer has a purchase rate λ ~ Gamma(r, α) (orders per day while active) and a dropout
probability p ~ Beta(a, b): after every order the buyer leaves for good with probability p,
otherwise the next order follows after an Exp(λ) gap. First orders are spread over the three
years with a growing brand's tilt towards recent months; about a fifth of orders are pulled into
the next 618 / 双11 / 年货节 promotion when one is near.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from siyu.demo.clock import Calendar, days_to_seconds

RATE_SHAPE = 0.8  # r
MEAN_RATE_PER_YEAR = 3.2  # r / α, orders a year while active
DROPOUT_A = 1.0
DROPOUT_B = 2.6
MAX_ORDERS = 60
GROWTH = 1.6  # first-order density grows like t^(GROWTH - 1)
PROMO_PULL = 0.22
PROMO_REACH_DAYS = 30
PROMOTIONS = ((6, 1, 18), (11, 1, 11), (1, 5, 20))  # (month, first day, last day)


@dataclass(frozen=True, slots=True)
class Purchases:
    """One entry per order, sorted by buyer and then time."""

    buyer: NDArray[np.int64]  # index into the buyers array given
    at: NDArray[np.int64]  # local seconds
    ordinal: NDArray[np.int64]  # 0 for a buyer's first order
    rate: NDArray[np.float64]  # per buyer: λ, orders per day


def simulate_purchases(rng: np.random.Generator, buyers: int, calendar: Calendar) -> Purchases:
    rate = rng.gamma(RATE_SHAPE, MEAN_RATE_PER_YEAR / 365 / RATE_SHAPE, size=buyers)
    rate = np.maximum(rate, 1e-9)
    dropout = rng.beta(DROPOUT_A, DROPOUT_B, size=buyers)
    first = calendar.days * rng.random(buyers) ** (1 / GROWTH)
    who, days = _repeat_orders(rng, first, rate, dropout, calendar.days)
    days = _pull_into_promotions(rng, days, calendar)
    at = calendar.first_second + days_to_seconds(rng, days)
    at = np.minimum(at, calendar.now - 1)
    order = np.lexsort((at, who))
    who, at = who[order], at[order]
    return Purchases(buyer=who, at=at, ordinal=_ordinals(who), rate=rate)


def _repeat_orders(
    rng: np.random.Generator,
    first: NDArray[np.float64],
    rate: NDArray[np.float64],
    dropout: NDArray[np.float64],
    horizon: int,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    who = np.arange(first.size, dtype=np.int64)
    moment = first
    buyers, days = [who], [moment]
    for _ in range(MAX_ORDERS - 1):
        stays = rng.random(who.size) >= dropout[who]
        who, moment = who[stays], moment[stays]
        moment = moment + rng.exponential(1.0, size=who.size) / rate[who]
        inside = moment < horizon
        who, moment = who[inside], moment[inside]
        if who.size == 0:
            break
        buyers.append(who)
        days.append(moment)
    return np.concatenate(buyers), np.concatenate(days)


def _pull_into_promotions(
    rng: np.random.Generator, days: NDArray[np.float64], calendar: Calendar
) -> NDArray[np.float64]:
    starts, lengths = _promotion_windows(calendar)
    if starts.size == 0:
        return days
    following = np.searchsorted(starts, days)
    has_next = following < starts.size
    following = np.minimum(following, starts.size - 1)
    gap = starts[following] - days
    pulled = has_next & (gap < PROMO_REACH_DAYS) & (rng.random(days.size) < PROMO_PULL)
    inside = starts[following] + rng.random(days.size) * lengths[following]
    return np.where(pulled, np.minimum(inside, calendar.days - 1e-6), days)


def _promotion_windows(calendar: Calendar) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    starts, lengths = [], []
    for year in range(calendar.start.year, calendar.end.year + 1):
        for month, first_day, last_day in PROMOTIONS:
            offset = (date(year, month, first_day) - calendar.start).days
            if 0 <= offset < calendar.days:
                starts.append(offset)
                lengths.append(last_day - first_day + 1)
    order = np.argsort(starts)
    return np.asarray(starts, float)[order], np.asarray(lengths, float)[order]


def _ordinals(sorted_buyers: NDArray[np.int64]) -> NDArray[np.int64]:
    """0, 1, 2… within each run of equal buyers."""
    if sorted_buyers.size == 0:
        return sorted_buyers.copy()
    starts = np.flatnonzero(np.r_[True, sorted_buyers[1:] != sorted_buyers[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, sorted_buyers.size]))
    return np.arange(sorted_buyers.size, dtype=np.int64) - run_start
