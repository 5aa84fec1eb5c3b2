"""Checking the CLV model against what happened: calibration / holdout (Fader, Hardie & Lee 2005,
"Counting your customers the easy way", Marketing Science 24(2), figure 4).

The model is fitted on the orders up to `until` (the calibration period) and not stored. For each
customer seen by then, the purchases it predicts in (until, holdout_end] (FHL eq. 10) are compared
with the purchase days they actually had then (counted as for the fit, see `clv_service`), in
total and by the number of repeat purchases in the calibration period: 0, 1, …, 6 and 7+.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from siyu.analytics.clv import conditional_expected_purchases
from siyu.analytics.clv_service import (
    ClvEstimate,
    Unit,
    bgnbd_json,
    estimate_clv,
    gamma_gamma_json,
    read_transactions,
    summarize,
    time_unit,
)
from siyu.analytics.days import day_number
from siyu.errors import InvalidInputError

TOP_FREQUENCY = 7  # the last row holds 7 or more calibration repeat purchases


@dataclass(frozen=True, slots=True)
class FrequencyRow:
    frequency: str  # "0" … "6", "7+"
    customers: int
    actual: float  # mean holdout purchases per customer
    predicted: float


@dataclass(frozen=True, slots=True)
class BacktestResult:
    until: date
    holdout_end: date
    unit: Unit
    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float]
    customers: int
    repeat_purchases: int
    actual: int  # holdout repeat purchases of the calibration customers
    predicted: float
    by_frequency: list[FrequencyRow]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"until": self.until.isoformat(),
                               "holdout_end": self.holdout_end.isoformat()}  # fmt: skip


def backtest_clv(
    session: Session, *, until: date, holdout_end: date, unit: Unit, zone: ZoneInfo
) -> BacktestResult:
    if holdout_end <= until:
        raise InvalidInputError(
            f"the holdout must end after the calibration period: {holdout_end} is not after {until}"
        )
    estimate = estimate_clv(session, until=until, unit=unit, zone=zone)
    actual = _holdout_purchases(session, estimate, holdout_end, zone)
    rows = estimate.summary.purchases
    length = (holdout_end - until).days / float(time_unit(unit))
    predicted = conditional_expected_purchases(
        estimate.purchases.params, length, rows.frequency, rows.recency, rows.age
    )
    return BacktestResult(
        until=until,
        holdout_end=holdout_end,
        unit=unit,
        bgnbd=bgnbd_json(estimate.purchases.params, estimate.purchases.log_likelihood),
        gamma_gamma=gamma_gamma_json(estimate.spend.params),
        customers=int(rows.customer.size),
        repeat_purchases=estimate.repeat_purchases,
        actual=int(actual.sum()),
        predicted=float(predicted.sum()),
        by_frequency=_by_frequency(rows.frequency, actual, predicted),
    )


def _holdout_purchases(
    session: Session, estimate: ClvEstimate, holdout_end: date, zone: ZoneInfo
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Purchase days in (until, holdout_end] of each calibration customer."""
    transactions = read_transactions(session, until=holdout_end, zone=zone)
    calibration = estimate.summary.purchases
    whole = summarize(transactions, end_day=day_number(holdout_end), unit=calibration.unit)
    at = np.searchsorted(whole.purchases.customer, calibration.customer)
    return np.asarray(whole.purchases.frequency[at] - calibration.frequency, dtype=np.float64)


def _by_frequency(
    frequency: np.ndarray[Any, np.dtype[np.float64]],
    actual: np.ndarray[Any, np.dtype[np.float64]],
    predicted: np.ndarray[Any, np.dtype[np.float64]],
) -> list[FrequencyRow]:
    group = np.minimum(frequency, TOP_FREQUENCY).astype(np.int64)
    customers = np.bincount(group, minlength=TOP_FREQUENCY + 1)
    actual_sum = np.bincount(group, weights=actual, minlength=TOP_FREQUENCY + 1)
    predicted_sum = np.bincount(group, weights=predicted, minlength=TOP_FREQUENCY + 1)
    count = np.maximum(customers, 1)
    return [
        FrequencyRow(
            frequency=f"{index}+" if index == TOP_FREQUENCY else str(index),
            customers=int(customers[index]),
            actual=float(actual_sum[index] / count[index]),
            predicted=float(predicted_sum[index] / count[index]),
        )
        for index in range(TOP_FREQUENCY + 1)
    ]


def draw_calibration_plot(result: BacktestResult, path: Path) -> None:
    """Mean holdout purchases, actual and predicted, by calibration repeat purchases (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported here: slow to import
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [row.frequency for row in result.by_frequency]
    axes.plot(labels, [row.actual for row in result.by_frequency], "o-", label="actual")
    axes.plot(labels, [row.predicted for row in result.by_frequency], "s--", label="BG/NBD")
    axes.set_xlabel(f"repeat purchases up to {result.until}")
    axes.set_ylabel(f"mean purchases in ({result.until}, {result.holdout_end}]")
    axes.set_title("Conditional expectations: calibration vs holdout")
    axes.legend()
    figure.tight_layout()
    try:
        figure.savefig(path, format="png")
    except OSError as error:
        raise InvalidInputError(f"cannot write the plot to {path}: {error.strerror}") from error
