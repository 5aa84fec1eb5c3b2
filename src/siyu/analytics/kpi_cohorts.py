"""Monthly cohort retention and funnel conversion timings (pure numpy over purchase days)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siyu.analytics.days import day_date

Ints = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Cohort:
    month: str  # YYYY-MM of the first purchase
    customers: int
    retention: list[float | None]  # share buying in month 0, 1, 2, … after; None: not yet


def month_index(days: Ints) -> Ints:
    """Months since 1970-01 of each day number."""
    years_months = [(d.year, d.month) for d in (day_date(int(day)) for day in days)]
    return np.array(
        [(year - 1970) * 12 + month - 1 for year, month in years_months], dtype=np.int64
    )


def cohort_retention(customer: Ints, day: Ints, *, last_day: int, months: int = 12) -> list[Cohort]:
    """Rows: cohorts by month of first purchase; columns: months since (0 is always 100%).
    Months after `last_day`'s month have not happened yet and are None."""
    if customer.size == 0:
        return []
    unique_days, inverse = np.unique(day, return_inverse=True)
    month = month_index(unique_days)[inverse.reshape(-1)]
    order = np.lexsort((month, customer))
    customer, month = customer[order], month[order]
    first = np.full(customer.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, customer, month)
    since = month - first[customer]
    keep = since < months
    pairs = np.unique(np.stack([customer[keep], since[keep]], axis=1), axis=0)
    cohort_of = first[pairs[:, 0]]
    last_month = int(month_index(np.array([last_day], dtype=np.int64))[0])
    cohorts = []
    for cohort in np.unique(first[np.unique(customer)]):
        members = pairs[cohort_of == cohort]
        size = int(np.count_nonzero(members[:, 1] == 0))
        counts = np.bincount(members[:, 1], minlength=months)[:months]
        year, month_number = divmod(int(cohort), 12)
        cohorts.append(
            Cohort(
                month=f"{1970 + year:04d}-{month_number + 1:02d}",
                customers=size,
                retention=[
                    round(float(count) / size, 4) if cohort + offset <= last_month else None
                    for offset, count in enumerate(counts)
                ],
            )
        )
    return cohorts


@dataclass(frozen=True, slots=True)
class StepConversion:
    from_stage: str
    to_stage: str
    entered: int  # customers reaching from_stage in the period
    converted: int  # … who went on to to_stage (by the end of the data)
    rate: float
    median_days: float | None


def step_conversion(
    from_stage: str, to_stage: str, start_days: Ints, next_days: NDArray[np.float64]
) -> StepConversion:
    """`next_days` holds the day each customer reached `to_stage`, NaN where they never did."""
    converted = np.isfinite(next_days)
    gaps = next_days[converted] - start_days[converted]
    return StepConversion(
        from_stage=from_stage,
        to_stage=to_stage,
        entered=int(start_days.size),
        converted=int(converted.sum()),
        rate=round(float(converted.mean()), 4) if start_days.size else 0.0,
        median_days=float(np.median(gaps)) if gaps.size else None,
    )
