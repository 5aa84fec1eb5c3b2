"""BG/NBD log-likelihood and its log-parameter gradient on indexed rows (private).

The formula is in `siyu.analytics.clv.bgnbd`'s docstring. Every term but the dropout term
depends on x alone or on T alone, so it is summed once per distinct value with pre-summed
weights; only repeat buyers' dropout term, log(1 + e^z), is evaluated row by row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from siyu.analytics.clv._arrays import CustomerArrays, FloatArray, IntArray, weighted_counts


@dataclass(frozen=True, slots=True)
class IndexedColumn:
    """A column as its distinct values plus, per row, the position of its value."""

    values: FloatArray
    index: IntArray

    @classmethod
    def of(cls, column: FloatArray) -> IndexedColumn:
        values, index = np.unique(column, return_inverse=True)
        return cls(values, index.astype(np.int64, copy=False))


@dataclass(frozen=True, slots=True)
class RepeatRows:
    """The rows with x > 0, indexing the distinct x and T of all rows."""

    x: FloatArray
    weights: FloatArray
    frequency_index: IntArray
    age_index: IntArray
    recency: IndexedColumn


@dataclass(frozen=True, slots=True)
class BgNbdData:
    frequency: IndexedColumn
    age: IndexedColumn
    total_weight: float
    frequency_weights: FloatArray  # per distinct x: sum of w
    age_weights: FloatArray  # per distinct T: sum of w
    age_weighted_x: FloatArray  # per distinct T: sum of w x
    repeat: RepeatRows

    @classmethod
    def of(cls, rows: CustomerArrays, weights: FloatArray) -> BgNbdData:
        frequency, age = IndexedColumn.of(rows.frequency), IndexedColumn.of(rows.age)
        is_repeat = rows.frequency > 0
        repeat = RepeatRows(
            x=rows.frequency[is_repeat],
            weights=weights[is_repeat],
            frequency_index=frequency.index[is_repeat],
            age_index=age.index[is_repeat],
            recency=IndexedColumn.of(rows.recency[is_repeat]),
        )
        return cls(
            frequency=frequency,
            age=age,
            total_weight=float(weights.sum()),
            frequency_weights=weighted_counts(frequency.index, weights, frequency.values.size),
            age_weights=weighted_counts(age.index, weights, age.values.size),
            age_weighted_x=weighted_counts(age.index, weights * rows.frequency, age.values.size),
            repeat=repeat,
        )


@dataclass(frozen=True, slots=True)
class _Dropout:
    softplus: FloatArray  # log(1 + e^z) per repeat row
    sigmoid: FloatArray  # its derivative, 1 / (1 + e^-z)
    log_gap: FloatArray  # ln(alpha + T) - ln(alpha + t_x)


def _dropout(r: float, alpha: float, a: float, b: float, data: BgNbdData) -> _Dropout:
    repeat = data.repeat
    log_age = np.log(alpha + data.age.values)[repeat.age_index]
    log_gap = log_age - np.log(alpha + repeat.recency.values)[repeat.recency.index]
    log_shifted_b = np.log(b + np.maximum(data.frequency.values - 1, 0))  # ln(b + x - 1), x >= 1
    z = np.log(a) - log_shifted_b[repeat.frequency_index] + (r + repeat.x) * log_gap
    small = np.exp(-np.abs(z))
    softplus = np.maximum(z, 0.0) + np.log1p(small)
    sigmoid = np.where(z >= 0, 1.0, small) / (1.0 + small)
    return _Dropout(softplus, sigmoid, log_gap)


def row_log_likelihood(log_parameters: FloatArray, data: BgNbdData, x: FloatArray) -> FloatArray:
    """ln L per row of `data` (built with unit weights from rows whose frequencies are `x`)."""
    r, alpha, a, b = np.exp(log_parameters)
    xs = data.frequency.values
    by_frequency = gammaln(r + xs) + gammaln(b + xs) - gammaln(a + b + xs)
    constant = gammaln(a + b) - gammaln(r) - gammaln(b) + r * np.log(alpha)
    values = (
        by_frequency[data.frequency.index]
        + constant
        - (r + x) * np.log(alpha + data.age.values)[data.age.index]
    )
    values[x > 0] += _dropout(r, alpha, a, b, data).softplus
    return np.asarray(values, dtype=np.float64)


def log_likelihood_and_gradient(
    log_parameters: FloatArray, data: BgNbdData
) -> tuple[float, FloatArray]:
    """Weighted total log-likelihood and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_parameters)
    xs, by_x, total = data.frequency.values, data.frequency_weights, data.total_weight
    log_age, inverse_age = np.log(alpha + data.age.values), 1.0 / (alpha + data.age.values)
    by_age = r * data.age_weights + data.age_weighted_x  # sum of w (r + x) per distinct T
    repeat, dropout = data.repeat, _dropout(r, alpha, a, b, data)
    weighted_sigmoid = repeat.weights * dropout.sigmoid
    value = (
        by_x @ (gammaln(r + xs) + gammaln(b + xs) - gammaln(a + b + xs))
        + total * (gammaln(a + b) - gammaln(r) - gammaln(b) + r * np.log(alpha))
        - by_age @ log_age
        + repeat.weights @ dropout.softplus
    )
    inverse_gap = (
        inverse_age[repeat.age_index]
        - (1.0 / (alpha + repeat.recency.values))[repeat.recency.index]
    )
    inverse_shifted_b = 1.0 / (b + np.maximum(xs - 1, 0))
    d_r = (
        by_x @ digamma(r + xs)
        + total * (np.log(alpha) - digamma(r))
        - data.age_weights @ log_age
        + weighted_sigmoid @ dropout.log_gap
    )
    d_alpha = (
        total * r / alpha - by_age @ inverse_age + weighted_sigmoid @ ((r + repeat.x) * inverse_gap)
    )
    d_a = total * digamma(a + b) - by_x @ digamma(a + b + xs) + weighted_sigmoid.sum() / a
    d_b = (
        by_x @ (digamma(b + xs) - digamma(a + b + xs))
        + total * (digamma(a + b) - digamma(b))
        - weighted_sigmoid @ inverse_shifted_b[repeat.frequency_index]
    )
    gradient = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b], dtype=np.float64)
    return float(value), gradient
