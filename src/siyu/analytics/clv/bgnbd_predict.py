"""BG/NBD predictions for scoring customers (Fader, Hardie & Lee 2005, eqs. 7, 10 and 11).

Every conditional prediction factors as P(alive | x, t_x, T) times the same quantity for a
customer known to be alive, which depends on (x, T) alone, so the Gauss hypergeometric function is
evaluated once per distinct (x, T) pair. It is used in Euler's transformed form,

    ((alpha+T) / (alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)
        = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),    z = t / (alpha+T+t),

whose series stays near 1 however large x is, where the original overflows.
The formulas divide by a - 1; within 1e-7 of a = 1 they are evaluated at a = 1 + 1e-7.
scipy's hyp2f1 returns inf or nan when c - a - b is an integer (e.g. r = 1, a = 2) or c = 0;
such entries are evaluated again a relative 1e-9 away, far inside any estimate's error. For
parameters beyond what fits produce (a above ~20 with t >> alpha + T) the series can still fail:
InvalidInputError then, never a NaN.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import expit, hyp2f1

from siyu.analytics.clv._arrays import (
    FloatArray,
    IntArray,
    customer_arrays,
    distinct_rows,
    float_vector,
)
from siyu.analytics.clv.bgnbd import BgNbdParams
from siyu.analytics.clv.errors import InvalidInputError

_NEAR_ONE = 1e-7
_PARAMETER_STEP = 1e-9


def _away_from_one(a: float) -> float:
    return 1.0 + _NEAR_ONE if abs(a - 1.0) < _NEAR_ONE else a


def _hypergeometric(first: float, second: float, third: FloatArray, z: FloatArray) -> FloatArray:
    """2F1(first, second; third; z), stepping off scipy's failures (see the module notes)."""
    third, z = np.broadcast_arrays(third, z)
    series = np.asarray(hyp2f1(first, second, third, z), dtype=np.float64)
    failed = ~np.isfinite(series)
    if np.any(failed):
        step = 1 + _PARAMETER_STEP
        series[failed] = hyp2f1(
            first * step + _PARAMETER_STEP,
            second,
            third[failed] * step + _PARAMETER_STEP,
            z[failed],
        )
    if not np.all(np.isfinite(series)):
        raise InvalidInputError("expected purchases cannot be computed for these parameters")
    return series


def _purchases_if_alive(
    params: BgNbdParams, horizons: FloatArray, x: FloatArray, age: FloatArray
) -> tuple[FloatArray, IntArray]:
    """E[purchases in (T, T+t] | alive at T, x, T] per horizon t (rows) and distinct (x, T).

    Also returns, for every customer, the column of their (x, T).
    """
    r, alpha, b = params.r, params.alpha, params.b
    a = _away_from_one(params.a)
    distinct = distinct_rows(x, age)
    xs, ages = (column[np.newaxis, :] for column in distinct.columns)
    t = horizons[:, np.newaxis]
    z = t / (alpha + ages + t)
    third = a + b + xs - 1  # 0 only when x = 0 and a + b = 1: a pole of 2F1, not of the product
    third = np.where(np.abs(third) < _PARAMETER_STEP, _PARAMETER_STEP, third)
    series = _hypergeometric(a + b - 1 - r, a - 1, third, z)
    expected = third / (a - 1) * (1 - np.exp((a - 1) * np.log1p(-z)) * series)
    return np.asarray(expected, dtype=np.float64), distinct.inverse


def _log_odds_dead(
    params: BgNbdParams, x: FloatArray, recency: FloatArray, age: FloatArray
) -> FloatArray:
    """ln(P(dead) / P(alive)); -inf when x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    gap = np.log(alpha + age) - np.log(alpha + recency)
    z = np.log(a) - np.log(b + np.maximum(x - 1, 0)) + (r + x) * gap
    return np.where(x > 0, z, -np.inf)


def _probability_alive(
    params: BgNbdParams, x: FloatArray, recency: FloatArray, age: FloatArray
) -> FloatArray:
    return np.asarray(expit(-_log_odds_dead(params, x, recency, age)), dtype=np.float64)


def probability_alive(
    params: BgNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike
) -> FloatArray:
    """P(alive at T | x, t_x, T) (FHL 2005 eq. 11; the x = 0 case as Hardie's 2008 note).

    A customer drops out only just after a repeat purchase, so one with x = 0 is alive: 1.
    """
    rows = customer_arrays(frequency, recency, age)
    return _probability_alive(params, rows.frequency, rows.recency, rows.age)


def conditional_expected_purchases_at(
    params: BgNbdParams,
    horizons: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
) -> FloatArray:
    """E[Y(t) | x, t_x, T] for each horizon t: an array of shape (horizons, customers)."""
    rows = customer_arrays(frequency, recency, age)
    t = float_vector("horizons", horizons)
    if np.any(t < 0):
        raise InvalidInputError("horizons must be non-negative")
    alive = _probability_alive(params, rows.frequency, rows.recency, rows.age)
    if_alive, column = _purchases_if_alive(params, t, rows.frequency, rows.age)
    return if_alive[:, column] * alive


def discounted_expected_purchases(
    params: BgNbdParams,
    period_ends: npt.ArrayLike,
    discounts: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
) -> FloatArray:
    """Sum over periods i of discounts[i] * E[purchases in (period_ends[i-1], period_ends[i]]].

    Periods start at 0 (the end of observation); the weighting happens per distinct (x, T), so
    many periods cost little more than one.
    """
    rows = customer_arrays(frequency, recency, age)
    ends, weights = float_vector("period_ends", period_ends), float_vector("discounts", discounts)
    if ends.size != weights.size or np.any(np.diff(ends, prepend=0.0) < 0):
        raise InvalidInputError("period_ends must rise from 0, one discount per period")
    if_alive, column = _purchases_if_alive(params, np.r_[0.0, ends], rows.frequency, rows.age)
    per_distinct = weights @ np.diff(if_alive, axis=0)
    return per_distinct[column] * _probability_alive(params, rows.frequency, rows.recency, rows.age)


def conditional_expected_purchases(
    params: BgNbdParams,
    horizon: float,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next `horizon` (FHL 2005 eq. 10)."""
    expected = conditional_expected_purchases_at(params, [horizon], frequency, recency, age)
    return expected.reshape(-1)


def unconditional_expected_purchases(params: BgNbdParams, horizon: npt.ArrayLike) -> FloatArray:
    """E[X(t)]: expected repeat purchases of a new customer within t (FHL 2005 eq. 7)."""
    t = float_vector("horizon", np.atleast_1d(horizon))
    zeros = np.zeros(1)
    return conditional_expected_purchases_at(params, t, zeros, zeros, zeros).reshape(-1)


def expected_next_purchase_in(
    params: BgNbdParams,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    *,
    probability: float = 0.5,
) -> FloatArray:
    """Time after T by which an alive customer has made their next purchase with `probability`.

    For a repeat-purchase reminder. Given alive, the next purchase comes before any dropout (the
    model drops customers only just after a purchase), the rate is lambda ~ Gamma(r+x, alpha+T)
    a posteriori and the wait is Exponential(lambda); so P(wait > w) = ((alpha+T) /
    (alpha+T+w))^(r+x) and the quantile is (alpha+T)((1-probability)^(-1/(r+x)) - 1). The
    default is the median wait. Weigh it with `probability_alive` before acting on it.
    """
    if not 0 < probability < 1:
        raise InvalidInputError(f"probability must lie strictly between 0 and 1: {probability}")
    rows = customer_arrays(frequency, recency, age)
    shape = params.r + rows.frequency
    return np.asarray((params.alpha + rows.age) * np.expm1(-np.log1p(-probability) / shape))
