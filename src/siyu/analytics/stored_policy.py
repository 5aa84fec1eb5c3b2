"""The lifecycle thresholds an admin edits in the console, stored in the database.

A refresh given no explicit policy reads the stored thresholds (over the code defaults).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from sqlalchemy.orm import Session

from siyu.analytics.policy import LifecyclePolicy
from siyu.merchant.store import LIFECYCLE_POLICY, SettingError, read_setting, write_setting

EDITABLE = (
    "loyal_min_purchases",
    "dormant_factor",
    "churn_factor",
    "fallback_interval_days",
    "category_half_life_days",
)


def lifecycle_policy(session: Session) -> LifecyclePolicy:
    stored = read_setting(session, LIFECYCLE_POLICY) or {}
    values = {name: stored[name] for name in EDITABLE if name in stored}
    return replace(LifecyclePolicy(), **values)


def editable(policy: LifecyclePolicy) -> dict[str, Any]:
    return {name: value for name, value in asdict(policy).items() if name in EDITABLE}


def save_lifecycle_policy(session: Session, policy: LifecyclePolicy, *, by: str) -> None:
    check_lifecycle_policy(policy)
    write_setting(session, LIFECYCLE_POLICY, editable(policy), by=by)


def check_lifecycle_policy(policy: LifecyclePolicy) -> None:
    if not 2 <= policy.loyal_min_purchases <= 100:
        raise SettingError("loyal_min_purchases", "2–100 purchases")
    if not 1 <= policy.dormant_factor <= 50:
        raise SettingError("dormant_factor", "1–50 expected intervals")
    if not policy.dormant_factor < policy.churn_factor <= 100:
        raise SettingError(
            "churn_factor",
            f"above the dormant factor ({policy.dormant_factor}) and at most 100",
        )
    if not 1 <= policy.fallback_interval_days <= 3650:
        raise SettingError("fallback_interval_days", "1–3650 days")
    if not 1 <= policy.category_half_life_days <= 3650:
        raise SettingError("category_half_life_days", "1–3650 days")
