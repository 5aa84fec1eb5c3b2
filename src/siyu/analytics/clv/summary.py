"""Per-customer (x, t_x, T, monetary value) from a transaction log, the input of every CLV model.

Conventions (Fader, Hardie & Lee 2005; Hardie's CDNOW summaries):

* A purchase is a customer-DAY: several orders on one day are one purchase whose value is their
  sum. A customer's first purchase day is their birth; `frequency` (x) counts the later purchase
  days up to and including `end_day`.
* `recency` (t_x) = last purchase day - first purchase day and `age` (T) = `end_day` - first
  purchase day, divided by the unit's length in days (1 or 7). With `end_day` = 1997-09-30 this
  gives Hardie's CDNOW calibration data (T = 272 / 7 = 38.86 weeks for a 1 January customer).
* Refunded orders are the caller's to remove (or to net into the order's value) before calling:
  a negative value is refused. By default a day whose orders add up to zero (gifts, free
  samples, fully discounted orders) is not a purchase: it says nothing about buying. Hardie's
  CDNOW summaries do count such days (the sample has 8 customers whose only purchase is worth
  0.00); `count_zero_value_days=True` reproduces them.
* `monetary_value` is the mean value of the repeat purchase days (the first purchase is left
  out, as in the Gamma-Gamma model); it is 0 for customers with no repeat purchase.
* Transactions after `end_day` are ignored; customers without a purchase by then are absent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siyu.analytics.clv._arrays import FloatArray, IntArray, float_vector
from siyu.analytics.clv.errors import InvalidInputError


class TimeUnit(enum.IntEnum):
    """The models' time unit, valued in days."""

    DAY = 1
    WEEK = 7


@dataclass(frozen=True, slots=True)
class RfmSummary:
    """One row per customer with a purchase by the end day, customers in ascending order."""

    customer: IntArray
    frequency: FloatArray
    recency: FloatArray
    age: FloatArray
    monetary_value: FloatArray
    unit: TimeUnit


def _integer_vector(name: str, values: npt.ArrayLike) -> IntArray:
    array = np.asarray(values)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise InvalidInputError(f"{name} must be a one-dimensional integer array")
    return array.astype(np.int64, copy=False)


def _group_bounds(sorted_keys: IntArray) -> tuple[IntArray, IntArray]:
    """First and last position of each run of equal keys."""
    starts = np.flatnonzero(np.diff(sorted_keys, prepend=sorted_keys[:1] - 1))
    ends = np.concatenate([starts[1:], [sorted_keys.size]])[: starts.size] - 1
    return starts, ends


def _purchase_days(
    customer: IntArray, day: IntArray, value: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """(customer, day, summed value) per distinct customer-day, sorted by customer then day."""
    if customer.size == 0:
        return customer, day, value
    day_span = int(day.max() - day.min()) + 1
    customer_span = int(customer.max() - customer.min()) + 1
    if customer_span > np.iinfo(np.int64).max // day_span:
        raise InvalidInputError("customer indices times day span overflow 64-bit keys")
    key = (customer - customer.min()) * day_span + (day - day.min())
    if np.any(key[1:] < key[:-1]):
        order = np.argsort(key)
        key, customer, day, value = key[order], customer[order], day[order], value[order]
    starts, _ = _group_bounds(key)
    return customer[starts], day[starts], np.add.reduceat(value, starts)


def summarize_transactions(
    customer: npt.ArrayLike,
    day: npt.ArrayLike,
    value: npt.ArrayLike,
    *,
    end_day: int,
    unit: TimeUnit = TimeUnit.WEEK,
    count_zero_value_days: bool = False,
) -> RfmSummary:
    """Build the per-customer summary from one row per order (see the module notes)."""
    customers = _integer_vector("customer", customer)
    days = _integer_vector("day", day)
    values = float_vector("value", value)
    if not customers.size == days.size == values.size:
        raise InvalidInputError("customer, day and value differ in length")
    if np.any(values < 0):
        raise InvalidInputError("value has negative entries: remove or net refunds first")
    kept = days <= end_day
    day_customer, day_day, day_value = _purchase_days(customers[kept], days[kept], values[kept])
    if not count_zero_value_days:
        is_purchase = day_value > 0
        day_customer, day_day = day_customer[is_purchase], day_day[is_purchase]
        day_value = day_value[is_purchase]
    starts, ends = _group_bounds(day_customer)
    frequency = (ends - starts).astype(np.float64)
    first_day = day_day[starts]
    is_repeat = np.ones(day_value.size, dtype=bool)
    is_repeat[starts] = False
    repeat_value = np.add.reduceat(np.where(is_repeat, day_value, 0.0), starts)
    monetary_value = np.divide(
        repeat_value, frequency, out=np.zeros_like(repeat_value), where=frequency > 0
    )
    return RfmSummary(
        customer=day_customer[starts],
        frequency=frequency,
        recency=(day_day[ends] - first_day) / float(unit),
        age=(end_day - first_day) / float(unit),
        monetary_value=monetary_value,
        unit=unit,
    )
