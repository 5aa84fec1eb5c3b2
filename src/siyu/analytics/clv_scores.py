"""Per-customer CLV scores from a fitted model, or from the RFM fallback (pure numpy).

Every score is for the customers of an `RfmSummary` (those with a purchase by the as-of day,
which is the summary's end day), as of the end of that day:

* `p_alive`: P(alive); `expected_purchases`: purchases in the next 30, 90 and 365 days;
* `order_value_fen`: the expected value of a future purchase;
* `clv_fen`: the value of the purchases expected in each of the next `months` 30-day months,
  discounted at `monthly_discount` per month (12 months at 1% a month by default);
* `next_purchase_in_days`: days from the as-of day to the expected next purchase, -1 for none.

BG/NBD + Gamma-Gamma (`clv_model = "bgnbd"`; Fader, Hardie & Lee 2005): P(alive) by eq. 11, the
expected purchases by eq. 10, the order value by the Gamma-Gamma conditional expectation
p (v + x zbar) / (p x + q - 1), which for a customer without repeat purchases of positive value is
the population mean p v / (q - 1), as the model says. CLV as `siyu.analytics.clv.lifetime_value`.
The next purchase is the median wait of an alive customer (`expected_next_purchase_in`); it is
left out (-1) when P(alive) < 0.1, where a date would mostly describe a customer who has gone,
and when the wait exceeds ten years, which is no date to plan for.

RFM fallback (`clv_model = "rfm_fallback"`), used while the shop has too few repeat customers to
fit the model. For a customer with n purchase days, the first f days and the last R days before
the as-of day, seen for T = as-of - f days:

* interval i = (T - R) / (n - 1) days, their own mean repeat interval; for a one-time buyer, the
  shop's interval m = the median of the repeat buyers' own intervals (90 days when there are
  none); at least one day;
* rate = n / (T + m) purchases a day: the observed rate, pulled towards one purchase per shop
  interval while a customer is new (a first purchase today gives 1 / m, not infinity);
* P(alive) = 2^(-R / (2 i)): a recency decay that halves after two intervals without a purchase
  (when lifecycle scoring calls a customer dormant);
* expected purchases in h days = P(alive) x rate x h;
* order value = the customer's mean value per purchase day of positive value (their AOV), or the
  shop's when they have none; CLV = value x P(alive) x rate x 30 x sum_k (1 + discount)^-k over
  the months k = 1..months;
* next purchase = their last purchase + i, and at the earliest the as-of day; left out when
  P(alive) < 0.1.

Every array is checked finite: a non-finite score raises ConvergenceError rather than reaching
the database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siyu.analytics.clv import (
    DAYS_PER_MONTH,
    BgNbdParams,
    ConvergenceError,
    GammaGammaParams,
    RfmSummary,
    conditional_expected_purchases_at,
    conditional_expected_spend,
    discounted_expected_purchases,
    expected_next_purchase_in,
    probability_alive,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

HORIZON_DAYS = (30, 90, 365)
MIN_P_ALIVE_FOR_NEXT_PURCHASE = 0.1
MAX_NEXT_PURCHASE_DAYS = 3_650
FALLBACK_INTERVAL_DAYS = 90.0
FALLBACK_DECAY_INTERVALS = 2.0
NO_DATE = -1
FEN_PER_YUAN = 100.0


@dataclass(frozen=True, slots=True)
class ClvScores:
    model: str
    customer: IntArray
    p_alive: FloatArray
    expected_purchases: FloatArray  # (len(HORIZON_DAYS), customers)
    order_value_fen: FloatArray
    clv_fen: FloatArray
    next_purchase_in_days: IntArray  # NO_DATE where none


@dataclass(frozen=True, slots=True)
class Discounting:
    months: int = 12
    monthly_discount: float = 0.01

    def factors(self) -> FloatArray:
        return (1.0 + self.monthly_discount) ** -np.arange(1, self.months + 1, dtype=np.float64)


def model_scores(
    purchases: BgNbdParams,
    spend: GammaGammaParams,
    summary: RfmSummary,
    spend_frequency: FloatArray,
    spend_value: FloatArray,
    discounting: Discounting,
) -> ClvScores:
    """Scores from BG/NBD (in the summary's unit) and Gamma-Gamma (spend in yuan)."""
    unit = float(summary.unit)
    rows = (summary.frequency, summary.recency, summary.age)
    alive = probability_alive(purchases, *rows)
    horizons = np.array(HORIZON_DAYS, dtype=np.float64) / unit
    expected = conditional_expected_purchases_at(purchases, horizons, *rows)
    value = conditional_expected_spend(spend, spend_frequency, spend_value) * FEN_PER_YUAN
    month_ends = DAYS_PER_MONTH / unit * np.arange(1, discounting.months + 1, dtype=np.float64)
    discounted = discounted_expected_purchases(purchases, month_ends, discounting.factors(), *rows)
    wait_days = expected_next_purchase_in(purchases, *rows) * unit
    _check_finite(alive, expected, value, discounted)
    dated = (
        (alive >= MIN_P_ALIVE_FOR_NEXT_PURCHASE)
        & np.isfinite(wait_days)
        & (wait_days <= MAX_NEXT_PURCHASE_DAYS)
    )
    next_in = np.where(dated, np.round(np.minimum(wait_days, MAX_NEXT_PURCHASE_DAYS)), NO_DATE)
    return ClvScores(
        model="bgnbd",
        customer=summary.customer,
        p_alive=alive,
        expected_purchases=expected,
        order_value_fen=value,
        clv_fen=value * discounted,
        next_purchase_in_days=next_in.astype(np.int64),
    )


def fallback_scores(
    summary: RfmSummary,
    orders: tuple[IntArray, IntArray, IntArray],
    discounting: Discounting,
) -> ClvScores:
    """The RFM fallback (module notes) from a summary in days and the orders it came from
    (customer, day, value in fen)."""
    positive_days, value_fen = _positive_purchase_days(summary.customer, *orders)
    purchases = summary.frequency + 1
    idle = summary.age - summary.recency
    own = np.divide(
        summary.recency, summary.frequency, out=np.full(purchases.size, np.nan),
        where=summary.frequency > 0,
    )  # fmt: skip
    repeaters = own[np.isfinite(own)]
    shop = max(float(np.median(repeaters)) if repeaters.size else FALLBACK_INTERVAL_DAYS, 1.0)
    interval = np.maximum(np.where(np.isnan(own), shop, own), 1.0)
    rate = purchases / (summary.age + shop)
    alive = np.exp2(-idle / (FALLBACK_DECAY_INTERVALS * interval))
    horizons = np.array(HORIZON_DAYS, dtype=np.float64)[:, np.newaxis]
    shop_value = float(value_fen.sum() / positive_days.sum()) if positive_days.sum() > 0 else 0.0
    value = np.divide(
        value_fen, positive_days, out=np.full(purchases.size, shop_value), where=positive_days > 0
    )
    monthly = alive * rate * DAYS_PER_MONTH
    _check_finite(alive, rate, value)
    next_in = np.maximum(np.round(interval - idle), 0)
    return ClvScores(
        model="rfm_fallback",
        customer=summary.customer,
        p_alive=alive,
        expected_purchases=alive * rate * horizons,
        order_value_fen=value,
        clv_fen=value * monthly * float(discounting.factors().sum()),
        next_purchase_in_days=np.where(
            alive >= MIN_P_ALIVE_FOR_NEXT_PURCHASE, next_in, NO_DATE
        ).astype(np.int64),
    )


def _positive_purchase_days(
    customers: IntArray, customer: IntArray, day: IntArray, value_fen: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Per customer of `customers` (sorted, holding every order's customer): the number of
    purchase days of positive value and the total value in fen."""
    positive = value_fen > 0
    pairs = np.unique(np.stack([customer[positive], day[positive]], axis=1), axis=0)
    days = np.bincount(np.searchsorted(customers, pairs[:, 0]), minlength=customers.size)
    totals = np.bincount(
        np.searchsorted(customers, customer[positive]),
        weights=value_fen[positive].astype(np.float64),
        minlength=customers.size,
    )
    return days.astype(np.float64), totals.astype(np.float64)


def _check_finite(*arrays: FloatArray) -> None:
    if not all(bool(np.all(np.isfinite(array))) for array in arrays):
        raise ConvergenceError("the CLV scores are not all finite for these parameters")
