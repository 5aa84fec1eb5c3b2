"""Fitting the CLV model on the store: BG/NBD purchases and Gamma-Gamma spend per purchase.

What counts as a purchase (read in one set-based query, customers not merged away):

* An order counts when its status is a paid one (`paid`, `shipped`, `completed`,
  `partially_refunded`) and it was not refunded away: orders with status `refunded`, and orders
  with a refund as large as what was paid (`refunded_fen > 0` and `paid_fen <= refunded_fen`),
  do not count; nor do unpaid (`pending_payment`) or `closed` orders. Its value is
  `paid_fen - refunded_fen`.
* Orders of one customer on one day in the merchant's time zone are one purchase, worth their
  sum. For BG/NBD a counted order worth 0 (a gift, a free sample, a fully discounted order) is
  still a purchase, as in Hardie's CDNOW data; for Gamma-Gamma only purchases of positive value
  count (a customer's spend model sees their positive-value purchase days only).
* A customer's first purchase is their birth; x counts the later purchase days up to `until`.
  Customers with a single purchase (x = 0) are part of the BG/NBD fit; Gamma-Gamma is fitted on
  repeat customers only (see `siyu.analytics.clv.summary`).

Spend is modelled in yuan (fen / 100), so the Gamma-Gamma scale `v` reads like the paper's gamma.
Fewer than `DEFAULT_MIN_REPEAT_CUSTOMERS` repeat customers (200) is refused with
`ClvInsufficientDataError`; an optimiser failure, or a spend fit with q <= 1 (whose mean spend is
infinite), with `ClvFitError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from siyu.analytics.clv import (
    DEFAULT_MIN_REPEAT_CUSTOMERS,
    BgNbdFit,
    BgNbdParams,
    ConvergenceError,
    GammaGammaFit,
    GammaGammaParams,
    InsufficientDataError,
    RfmSummary,
    TimeUnit,
    fit_bgnbd,
    fit_gamma_gamma,
    summarize_transactions,
)
from siyu.analytics.days import day_number, local_days
from siyu.analytics.facts import PURCHASE_STATUSES
from siyu.analytics.tables import ClvModel
from siyu.commerce.tables import Order
from siyu.customers.tables import Customer
from siyu.db.sql import epoch_seconds
from siyu.errors import InvalidInputError, SiyuError

Unit = Literal["day", "week"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CUSTOMER_CHUNK = 5_000
UNITS: dict[str, TimeUnit] = {"day": TimeUnit.DAY, "week": TimeUnit.WEEK}
FEN_PER_YUAN = 100.0


# Both bases declare a class-level `code` (a ClvErrorCode, itself a str, and a str): mypy calls
# the two definitions incompatible, but the ClvErrorCode value serves both.
class ClvInsufficientDataError(InsufficientDataError, SiyuError):  # type: ignore[misc]
    """Too few repeat customers to fit the model (a user-facing error)."""


class ClvFitError(ConvergenceError, SiyuError):  # type: ignore[misc]
    """The fit did not converge, or ended on estimates that cannot be used."""


@dataclass(frozen=True, slots=True)
class Transactions:
    """One row per counted order: customer, local day number, net value in fen (>= 0)."""

    customer: IntArray
    day: IntArray
    value_fen: IntArray


@dataclass(frozen=True, slots=True)
class ClvSummary:
    """Per-customer model inputs: `purchases` for BG/NBD (zero-value days count), and aligned to
    its customers the spend inputs (positive-value repeat days and their mean, in yuan)."""

    purchases: RfmSummary
    spend_frequency: FloatArray
    spend_value: FloatArray


@dataclass(frozen=True, slots=True)
class ClvEstimate:
    until: date
    unit: Unit
    purchases: BgNbdFit
    spend: GammaGammaFit
    summary: ClvSummary

    @property
    def repeat_purchases(self) -> int:
        return int(self.summary.purchases.frequency.sum())


@dataclass(frozen=True, slots=True)
class ClvFitResult:
    model_id: int
    until: date
    unit: Unit
    purchases: BgNbdParams
    log_likelihood: float
    spend: GammaGammaParams
    customers: int
    repeat_customers: int
    repeat_purchases: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "bgnbd": bgnbd_json(self.purchases, self.log_likelihood),
            "gamma_gamma": gamma_gamma_json(self.spend),
            "customers": self.customers,
            "repeat_customers": self.repeat_customers,
            "repeat_purchases": self.repeat_purchases,
            "until": self.until.isoformat(),
            "unit": self.unit,
            "model_id": self.model_id,
        }


def bgnbd_json(params: BgNbdParams, log_likelihood: float) -> dict[str, float]:
    return {
        "r": params.r,
        "alpha": params.alpha,
        "a": params.a,
        "b": params.b,
        "loglik": log_likelihood,
    }


def gamma_gamma_json(params: GammaGammaParams) -> dict[str, float]:
    return {"p": params.p, "q": params.q, "v": params.gamma}


def parse_unit(value: str) -> Unit:
    if value == "day":
        return "day"
    if value == "week":
        return "week"
    raise InvalidInputError(f"unit {value!r} is not one of: day, week")


def time_unit(unit: str) -> TimeUnit:
    return UNITS[parse_unit(unit)]


def read_transactions(
    session: Session, *, until: date, zone: ZoneInfo, customers: IntArray | None = None
) -> Transactions:
    """Counted orders placed up to the end of `until` in `zone` (see the module notes); of the
    `customers` given only (in chunks), or of everyone."""
    end = datetime.combine(until + timedelta(days=1), time(), zone)
    refunded_away = and_(Order.refunded_fen > 0, Order.paid_fen <= Order.refunded_fen)
    query = (
        select(
            Order.customer_id,
            epoch_seconds(Order.ordered_at),
            Order.paid_fen - Order.refunded_fen,
        )
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Customer.merged_into_id.is_(None),
            Order.status.in_(PURCHASE_STATUSES),
            ~refunded_away,
            Order.ordered_at < end,
        )
    )
    if customers is None:
        rows = session.execute(query).all()
    else:
        rows = [
            row
            for start in range(0, customers.size, CUSTOMER_CHUNK)
            for row in session.execute(
                query.where(
                    Order.customer_id.in_(customers[start : start + CUSTOMER_CHUNK].tolist())
                )
            )
        ]
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return Transactions(
        customer=table[:, 0].copy(),
        day=local_days(table[:, 1].copy(), zone),
        value_fen=np.maximum(table[:, 2], 0),
    )


def summarize(transactions: Transactions, *, end_day: int, unit: TimeUnit) -> ClvSummary:
    value = transactions.value_fen / FEN_PER_YUAN
    purchases = summarize_transactions(
        transactions.customer, transactions.day, value,
        end_day=end_day, unit=unit, count_zero_value_days=True,
    )  # fmt: skip
    spend = summarize_transactions(
        transactions.customer, transactions.day, value, end_day=end_day, unit=unit
    )
    at = np.searchsorted(purchases.customer, spend.customer)
    spend_frequency = np.zeros(purchases.customer.size)
    spend_value = np.zeros(purchases.customer.size)
    spend_frequency[at] = spend.frequency
    spend_value[at] = spend.monetary_value
    return ClvSummary(purchases, spend_frequency, spend_value)


def estimate_clv(session: Session, *, until: date, unit: Unit, zone: ZoneInfo) -> ClvEstimate:
    """Fit both models on the orders up to `until`, without storing anything."""
    transactions = read_transactions(session, until=until, zone=zone)
    summary = summarize(transactions, end_day=day_number(until), unit=time_unit(unit))
    rows = summary.purchases
    try:
        purchases = fit_bgnbd(rows.frequency, rows.recency, rows.age)
        spend = fit_gamma_gamma(summary.spend_frequency, summary.spend_value)
    except InsufficientDataError as error:
        raise ClvInsufficientDataError(_insufficient(summary, until)) from error
    except ConvergenceError as error:
        raise ClvFitError(
            f"the CLV model did not converge on orders up to {until}: {error}"
        ) from error
    if spend.params.q <= 1:
        raise ClvFitError(
            f"the spend model's q = {spend.params.q:.3g} <= 1 (orders up to {until}): the expected"
            " spend of a customer without repeat purchases would be infinite"
        )
    return ClvEstimate(until, unit, purchases, spend, summary)


def _insufficient(summary: ClvSummary, until: date) -> str:
    customers = summary.purchases.customer.size
    repeat = int(np.count_nonzero(summary.purchases.frequency > 0))
    spenders = int(np.count_nonzero(summary.spend_frequency > 0))
    return (
        f"not enough data to fit the CLV model: of the {customers:,} customers with a purchase up"
        f" to {until}, {repeat:,} bought again ({spenders:,} with a repeat purchase of positive"
        f" value); at least {DEFAULT_MIN_REPEAT_CUSTOMERS} are needed"
    )


def fit_clv(session: Session, *, until: date, unit: Unit, zone: ZoneInfo) -> ClvFitResult:
    """Fit BG/NBD and Gamma-Gamma on the orders up to `until` and store them as a ClvModel."""
    estimate = estimate_clv(session, until=until, unit=unit, zone=zone)
    model = ClvModel(
        fitted_until=until,
        unit=unit,
        bgnbd=bgnbd_json(estimate.purchases.params, estimate.purchases.log_likelihood),
        gamma_gamma=gamma_gamma_json(estimate.spend.params),
        customers=int(estimate.purchases.n_customers),
        repeat_purchases=estimate.repeat_purchases,
    )
    session.add(model)
    session.flush()
    return ClvFitResult(
        model_id=model.id,
        until=until,
        unit=unit,
        purchases=estimate.purchases.params,
        log_likelihood=estimate.purchases.log_likelihood,
        spend=estimate.spend.params,
        customers=int(estimate.purchases.n_customers),
        repeat_customers=int(estimate.purchases.n_repeat_customers),
        repeat_purchases=estimate.repeat_purchases,
    )


def newest_model(session: Session) -> ClvModel | None:
    return session.scalars(select(ClvModel).order_by(ClvModel.id.desc()).limit(1)).first()
