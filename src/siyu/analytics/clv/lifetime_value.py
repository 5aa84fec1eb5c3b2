"""Discounted customer lifetime value from a BG/NBD and a Gamma-Gamma fit.

CLV = sum over months i = 1..n of  E[spend per purchase | x, zbar]
                                   * (E[Y(i m) | x, t_x, T] - E[Y((i-1) m) | x, t_x, T])
                                   / (1 + monthly discount rate)^i,

with m the month's length in the model's time unit: the expected purchases falling in each month
(FHL 2005 eq. 10), valued at the Gamma-Gamma expected spend and discounted to the end of the
observation period (the discrete-time form popularised by the lifetimes package).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from siyu.analytics.clv._arrays import FloatArray
from siyu.analytics.clv.bgnbd import BgNbdParams
from siyu.analytics.clv.bgnbd_predict import discounted_expected_purchases
from siyu.analytics.clv.errors import InvalidInputError
from siyu.analytics.clv.gamma_gamma import GammaGammaParams, conditional_expected_spend
from siyu.analytics.clv.summary import TimeUnit

DAYS_PER_MONTH = 30.0


def customer_lifetime_value(
    purchases: BgNbdParams,
    spend: GammaGammaParams,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    *,
    unit: TimeUnit,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    days_per_month: float = DAYS_PER_MONTH,
) -> FloatArray:
    """Each customer's discounted value over the next `months`, in the currency of the values.

    `unit` is the time unit (x, t_x, T) and the BG/NBD fit are in. lifetimes uses 30-day months
    for daily data (its default) but 4.345-week months for weekly data: pass `days_per_month`
    to match it.
    """
    if months < 1:
        raise InvalidInputError(f"months must be at least 1: {months}")
    if not (np.isfinite(monthly_discount_rate) and monthly_discount_rate > -1):
        raise InvalidInputError(f"monthly_discount_rate must exceed -1: {monthly_discount_rate}")
    month = days_per_month / float(unit)
    expected_spend = conditional_expected_spend(spend, frequency, monetary_value)
    month_ends = month * np.arange(1, months + 1, dtype=np.float64)
    discounts = (1.0 + monthly_discount_rate) ** -np.arange(1, months + 1, dtype=np.float64)
    purchases_now = discounted_expected_purchases(
        purchases, month_ends, discounts, frequency, recency, age
    )
    return np.asarray(expected_spend * purchases_now, dtype=np.float64)
