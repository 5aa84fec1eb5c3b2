"""BG/NBD model: likelihood, gradient and fit (Fader, Hardie & Lee 2005, "Counting your
customers the easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2)).

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat purchase
they drop out with probability p ~ Beta(a, b). For x repeat purchases, the last at t_x, seen for
T, the log-likelihood (FHL 2005 eq. 6) is computed in the overflow-free form of Hardie's note 027
("Overcoming the BG/NBD model's #NUM! error problem"):

    ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b) - (r+x) ln(alpha+T)
           + [x > 0] log(1 + exp(z)),   z = ln a - ln(b+x-1) + (r+x) (ln(alpha+T) - ln(alpha+t_x))

(G is the gamma function, B the beta function.) The gradient is analytic and taken with respect
to the log-parameters, which the fit optimises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siyu.analytics.clv._arrays import (
    CustomerArrays,
    FloatArray,
    customer_arrays,
    distinct_rows,
    sample_weights,
    weighted_counts,
)
from siyu.analytics.clv._bgnbd_terms import (
    BgNbdData,
    log_likelihood_and_gradient,
    row_log_likelihood,
)
from siyu.analytics.clv._optimize import maximize_log_likelihood
from siyu.analytics.clv.errors import InsufficientDataError, InvalidInputError

DEFAULT_MIN_REPEAT_CUSTOMERS = 200


@dataclass(frozen=True, slots=True)
class BgNbdParams:
    """r, alpha: the Gamma purchase-rate mixing; a, b: the Beta dropout mixing (all > 0)."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        values = np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64)
        if not np.all(np.isfinite(values) & (values > 0)):
            raise InvalidInputError(f"BG/NBD parameters must be finite and positive: {self}")

    def to_log_array(self) -> FloatArray:
        return np.log(np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64))

    @classmethod
    def from_log_array(cls, log_parameters: FloatArray) -> BgNbdParams:
        r, alpha, a, b = (float(value) for value in np.exp(log_parameters))
        return cls(r=r, alpha=alpha, a=a, b=b)


@dataclass(frozen=True, slots=True)
class BgNbdFit:
    """A maximum-likelihood fit and what it was fitted on."""

    params: BgNbdParams
    log_likelihood: float
    n_customers: float
    n_repeat_customers: float
    n_distinct_rows: int
    n_iterations: int


def bgnbd_log_likelihood(
    params: BgNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike
) -> FloatArray:
    """Each customer's log-likelihood contribution ln L(r, alpha, a, b | x, t_x, T)."""
    rows = customer_arrays(frequency, recency, age)
    data = BgNbdData.of(rows, np.ones(rows.frequency.size))
    return row_log_likelihood(params.to_log_array(), data, rows.frequency)


def bgnbd_log_likelihood_gradient(
    params: BgNbdParams,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> FloatArray:
    """Gradient of the weighted total log-likelihood w.r.t. (ln r, ln alpha, ln a, ln b)."""
    rows = customer_arrays(frequency, recency, age)
    data = BgNbdData.of(rows, sample_weights(weights, rows.frequency.size))
    return log_likelihood_and_gradient(params.to_log_array(), data)[1]


def _collapsed(rows: CustomerArrays, weights: FloatArray) -> BgNbdData:
    """Identical (x, t_x, T) rows merged into one row carrying their summed weight."""
    distinct = distinct_rows(rows.frequency, rows.recency, rows.age)
    frequency, recency, age = distinct.columns
    summed = weighted_counts(distinct.inverse, weights, frequency.size)
    return BgNbdData.of(CustomerArrays(frequency, recency, age), summed)


def _initial_log_parameters(data: BgNbdData) -> FloatArray:
    """r = a = b = 1 and alpha = the weighted mean age: a scale-free start."""
    mean_age = float(data.age_weights @ data.age.values) / data.total_weight
    return np.log(np.array([1.0, max(mean_age, 1e-3), 1.0, 1.0], dtype=np.float64))


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
    min_repeat_customers: float = DEFAULT_MIN_REPEAT_CUSTOMERS,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit (L-BFGS-B on the log-parameters, analytic gradient).

    `weights` counts how many customers each row stands for. Raises InsufficientDataError when
    fewer than `min_repeat_customers` (weighted) customers have x > 0, ConvergenceError when the
    optimiser fails or ends on a non-finite or unidentified estimate.
    """
    rows = customer_arrays(frequency, recency, age)
    row_weights = sample_weights(weights, rows.frequency.size)
    n_repeat = float(row_weights @ (rows.frequency > 0))
    if n_repeat < min_repeat_customers:
        raise InsufficientDataError(
            f"BG/NBD needs at least {min_repeat_customers:g} repeat customers, got {n_repeat:g}"
        )
    data = _collapsed(rows, row_weights)
    optimum = maximize_log_likelihood(
        lambda log_parameters: log_likelihood_and_gradient(log_parameters, data),
        _initial_log_parameters(data),
        float(row_weights.sum()),
        ("r", "alpha", "a", "b"),
    )
    return BgNbdFit(
        params=BgNbdParams.from_log_array(optimum.log_parameters),
        log_likelihood=optimum.log_likelihood,
        n_customers=float(row_weights.sum()),
        n_repeat_customers=n_repeat,
        n_distinct_rows=int(data.frequency.index.size),
        n_iterations=optimum.n_iterations,
    )
