"""Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, "RFM and CLV: using
iso-value curves for customer base analysis", JMR 42(4); Hardie's note "The Gamma-Gamma model of
monetary value", 2013).

A customer's purchase values are Gamma(p, nu), their scale nu ~ Gamma(q, gamma) across customers,
independent of the purchase process. The mean zbar of x repeat purchases has density

    f(zbar | x) = G(px+q) / (G(px) G(q)) gamma^q x^(px) zbar^(px-1) / (gamma + x zbar)^(px+q),

and the expected value of a customer's future purchases is p (gamma + x zbar) / (px + q - 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

from siyu.analytics.clv._arrays import FloatArray, float_vector, sample_weights
from siyu.analytics.clv._gamma_gamma_terms import SpendData, log_likelihood_and_gradient
from siyu.analytics.clv._optimize import maximize_log_likelihood
from siyu.analytics.clv.bgnbd import DEFAULT_MIN_REPEAT_CUSTOMERS
from siyu.analytics.clv.errors import (
    ConvergenceError,
    InsufficientDataError,
    InvalidInputError,
)


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """p: shape of a purchase's value; q, gamma: shape and rate of its scale across customers."""

    p: float
    q: float
    gamma: float

    def __post_init__(self) -> None:
        values = np.array([self.p, self.q, self.gamma], dtype=np.float64)
        if not np.all(np.isfinite(values) & (values > 0)):
            raise InvalidInputError(f"Gamma-Gamma parameters must be finite and positive: {self}")

    @property
    def population_mean_spend(self) -> float:
        """E[value of a purchase] across customers, p gamma / (q - 1): infinite when q <= 1."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    @classmethod
    def from_log_array(cls, log_parameters: FloatArray) -> GammaGammaParams:
        p, q, gamma = (float(value) for value in np.exp(log_parameters))
        return cls(p=p, q=q, gamma=gamma)

    def to_log_array(self) -> FloatArray:
        return np.log(np.array([self.p, self.q, self.gamma], dtype=np.float64))


@dataclass(frozen=True, slots=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    n_customers: float
    n_iterations: int


def _spend_rows(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    x = float_vector("frequency", frequency)
    mean_value = float_vector("monetary_value", monetary_value)
    if x.shape != mean_value.shape:
        raise InvalidInputError("frequency and monetary_value differ in length")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise InvalidInputError("frequency must hold non-negative whole numbers")
    return x, mean_value


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> FloatArray:
    """ln f(zbar | p, q, gamma, x) per customer; needs x > 0 and zbar > 0."""
    x, mean_value = _spend_rows(frequency, monetary_value)
    if np.any(x <= 0) or np.any(mean_value <= 0):
        raise InvalidInputError("the spend likelihood needs x > 0 and monetary_value > 0")
    p, q, gamma = params.p, params.q, params.gamma
    return np.asarray(
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + p * x * np.log(x)
        + (p * x - 1) * np.log(mean_value)
        - (p * x + q) * np.log(gamma + x * mean_value),
        dtype=np.float64,
    )


def fit_gamma_gamma(
    frequency: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
    min_repeat_customers: float = DEFAULT_MIN_REPEAT_CUSTOMERS,
) -> GammaGammaFit:
    """Maximum-likelihood (p, q, gamma) from the repeat customers (x > 0) among the rows.

    Customers with x = 0 carry no spend information and are skipped; a repeat customer whose
    mean spend is not positive is refused (see `summarize_transactions`).
    """
    x, mean_value = _spend_rows(frequency, monetary_value)
    row_weights = sample_weights(weights, x.size)
    is_repeat = (x > 0) & (row_weights > 0)
    if np.any(mean_value[is_repeat] <= 0):
        raise InvalidInputError("repeat customers must have a positive monetary_value")
    n_repeat = float(row_weights[is_repeat].sum())
    if n_repeat < min_repeat_customers:
        raise InsufficientDataError(
            f"Gamma-Gamma needs at least {min_repeat_customers:g} repeat customers,"
            f" got {n_repeat:g}"
        )
    data = SpendData.of(x[is_repeat], mean_value[is_repeat], row_weights[is_repeat])
    if np.ptp(data.mean_value) == 0:
        # no spread between customers: the likelihood grows without end as q and gamma do
        # (where the optimiser stops is up to its line search), so say so before it runs
        raise ConvergenceError(
            "every repeat customer has the same mean spend: q, gamma are not identified"
        )
    initial = np.log(np.array([1.0, 2.0, float(np.average(data.mean_value, weights=data.weights))]))
    optimum = maximize_log_likelihood(
        lambda log_parameters: log_likelihood_and_gradient(log_parameters, data),
        initial,
        n_repeat,
        ("p", "q", "gamma"),
    )
    return GammaGammaFit(
        params=GammaGammaParams.from_log_array(optimum.log_parameters),
        log_likelihood=optimum.log_likelihood,
        n_customers=n_repeat,
        n_iterations=optimum.n_iterations,
    )


def conditional_expected_spend(
    params: GammaGammaParams, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> FloatArray:
    """E[value of a future purchase | x, zbar] = p (gamma + x zbar) / (p x + q - 1).

    For x = 0 this is the population mean, which needs q > 1 (InvalidInputError otherwise).
    """
    x, mean_value = _spend_rows(frequency, monetary_value)
    p, q, gamma = params.p, params.q, params.gamma
    denominator = p * x + q - 1
    if np.any(denominator <= 0):
        raise InvalidInputError(f"expected spend is infinite where p x + q <= 1 (q = {q:g})")
    return np.asarray(p * (gamma + x * mean_value) / denominator, dtype=np.float64)
