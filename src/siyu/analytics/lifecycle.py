"""The lifecycle state machine, on arrays (pure numpy).

Stages, built on the source material's private-domain funnel:
- `prospect`: semi-private — value behaviour (view, favourite, cart, follow) or a contact, no
  paid order yet;
- `first_order`, `second_order`, `third_order` (three or more purchases, not yet loyal);
- `loyal`: at least `loyal_min_purchases` purchases and still buying within their usual cycle;
- `dormant`: no purchase for `dormant_factor` × the customer's expected repeat interval (their
  own mean interval once they have `min_purchases_for_own_interval` purchases, else the shop's);
- `churned`: no purchase for `churn_factor` × that interval, or the customer deleted the staff
  member in WeCom and no staff member has them any more.

A purchase is a customer-day with a paid, not fully refunded order. Order-driven transitions are
dated on the purchase day; dormant and churned on the day the threshold was crossed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from siyu.analytics.policy import LifecyclePolicy

ORDER_STAGES = ("prospect", "first_order", "second_order", "third_order", "loyal")


def order_stage_codes(
    purchase_counts: NDArray[np.int64], policy: LifecyclePolicy
) -> NDArray[np.int64]:
    """Index into ORDER_STAGES for each purchase count."""
    codes = np.minimum(purchase_counts, 3)
    return np.where(purchase_counts >= policy.loyal_min_purchases, 4, codes).astype(np.int64)


def thresholds(
    last_day: NDArray[np.float64], interval: NDArray[np.float64], policy: LifecyclePolicy
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The days a buyer becomes dormant and churned if they buy nothing more."""
    dormant = np.ceil(last_day + policy.dormant_factor * interval).astype(np.int64)
    churned = np.ceil(last_day + policy.churn_factor * interval).astype(np.int64)
    return dormant, churned


def current_stages(
    order_stage: NDArray[np.int64],
    dormant_on: NDArray[np.int64],
    churned_on: NDArray[np.int64],
    deleted_staff: NDArray[np.bool_],
    as_of_day: int,
) -> list[str]:
    """The stage on `as_of_day` (a day number), for each customer."""
    buyer = order_stage > 0
    names = np.array(ORDER_STAGES, dtype=object)[order_stage]
    names = np.where(buyer & (as_of_day >= dormant_on), "dormant", names)
    names = np.where((buyer & (as_of_day >= churned_on)) | deleted_staff, "churned", names)
    return list(names)


def purchase_transitions(
    customer: NDArray[np.int64], day: NDArray[np.int64], policy: LifecyclePolicy
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Order-driven transitions from purchase days sorted by (customer, day), one per purchase
    that changes the stage: (customer, day, stage code). The first three purchases and the one
    that makes a customer loyal each move the stage; later purchases do not."""
    if customer.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    starts = np.r_[True, customer[1:] != customer[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(customer.size), 0))
    count = np.arange(customer.size) - group_start + 1
    codes = order_stage_codes(count, policy)
    moves = (count <= 3) | (count == policy.loyal_min_purchases)
    return customer[moves], day[moves], codes[moves]
