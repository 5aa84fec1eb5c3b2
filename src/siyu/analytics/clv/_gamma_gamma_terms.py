"""Gamma-Gamma log-likelihood and its log-parameter gradient (private).

Terms in x alone are evaluated once per distinct x and gathered; see `gamma_gamma` for the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from siyu.analytics.clv._arrays import FloatArray, IntArray, weighted_counts


@dataclass(frozen=True, slots=True)
class SpendData:
    """Repeat customers' x and mean spend zbar, with what never changes during a fit."""

    x: FloatArray
    mean_value: FloatArray
    weights: FloatArray
    distinct_x: FloatArray
    x_index: IntArray
    x_weights: FloatArray  # summed weights per distinct x
    weighted_x_log_x_zbar: float  # sum of w x ln(x zbar)
    weighted_log_zbar: float  # sum of w ln zbar

    @classmethod
    def of(cls, x: FloatArray, mean_value: FloatArray, weights: FloatArray) -> SpendData:
        distinct_x, x_index = np.unique(x, return_inverse=True)
        x_index = x_index.astype(np.int64, copy=False)
        return cls(
            x=x,
            mean_value=mean_value,
            weights=weights,
            distinct_x=distinct_x,
            x_index=x_index,
            x_weights=weighted_counts(x_index, weights, distinct_x.size),
            weighted_x_log_x_zbar=float(weights @ (x * np.log(x * mean_value))),
            weighted_log_zbar=float(weights @ np.log(mean_value)),
        )


def log_likelihood_and_gradient(
    log_parameters: FloatArray, data: SpendData
) -> tuple[float, FloatArray]:
    """Weighted total log-likelihood and its gradient w.r.t. (ln p, ln q, ln gamma)."""
    p, q, gamma = np.exp(log_parameters)
    xs, by_x, total = data.distinct_x, data.x_weights, float(data.weights.sum())
    shape = p * xs + q
    log_denominator = np.log(gamma + data.x * data.mean_value)
    weighted_shape = data.weights * (p * data.x + q)
    value = (
        by_x @ (gammaln(shape) - gammaln(p * xs))
        + total * (q * np.log(gamma) - gammaln(q))
        + p * data.weighted_x_log_x_zbar
        - data.weighted_log_zbar
        - weighted_shape @ log_denominator
    )
    d_p = (
        by_x @ (xs * (digamma(shape) - digamma(p * xs)))
        + data.weighted_x_log_x_zbar
        - (data.weights * data.x) @ log_denominator
    )
    d_q = by_x @ digamma(shape) + total * (np.log(gamma) - digamma(q))
    d_q -= data.weights @ log_denominator
    d_gamma = total * q / gamma - float(weighted_shape @ (1.0 / (gamma + data.x * data.mean_value)))
    return float(value), np.array([p * d_p, q * d_q, gamma * d_gamma])
