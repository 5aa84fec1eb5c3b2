"""The merchant's lifecycle and scoring policy (configurable; defaults from the source material)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    loyal_min_purchases: int = 4  # purchases (customer-days) to count as loyal
    dormant_factor: float = 2.0  # dormant after this many expected intervals without a purchase
    churn_factor: float = 4.0  # churned after this many
    min_purchases_for_own_interval: int = 3  # fewer: fall back to the shop's interval
    fallback_interval_days: float = 90.0  # when the shop has no repeat buyers yet
    category_half_life_days: float = 180.0  # recency weighting of category preference
    top_categories: int = 5
