"""Array validation and de-duplication shared by the CLV models (private)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siyu.analytics.clv.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def float_vector(name: str, values: npt.ArrayLike) -> FloatArray:
    """`values` as a 1-D float64 array of finite numbers, or InvalidInputError naming `name`."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInputError(f"{name} has non-finite values")
    return array


@dataclass(frozen=True, slots=True)
class CustomerArrays:
    """Validated per-customer (x, t_x, T) arrays, in the model's time unit."""

    frequency: FloatArray
    recency: FloatArray
    age: FloatArray


def customer_arrays(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike
) -> CustomerArrays:
    """Check x is a count, 0 <= t_x <= T, and the three arrays have one length."""
    x = float_vector("frequency", frequency)
    t_x = float_vector("recency", recency)
    t = float_vector("age", age)
    if not x.shape == t_x.shape == t.shape:
        raise InvalidInputError(
            f"frequency, recency and age differ in length: {x.size}, {t_x.size}, {t.size}"
        )
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise InvalidInputError("frequency must hold non-negative whole numbers")
    if np.any(t_x < 0) or np.any(t_x > t):
        raise InvalidInputError("recency must lie between 0 and age")
    return CustomerArrays(x, t_x, t)


def sample_weights(weights: npt.ArrayLike | None, size: int) -> FloatArray:
    """Non-negative weights of length `size` (all ones when None)."""
    if weights is None:
        return np.ones(size)
    array = float_vector("weights", weights)
    if array.size != size:
        raise InvalidInputError(f"weights has length {array.size}, expected {size}")
    if np.any(array < 0):
        raise InvalidInputError("weights must be non-negative")
    return array


@dataclass(frozen=True, slots=True)
class DistinctRows:
    """The distinct rows of some columns, and for every original row its distinct row."""

    columns: tuple[FloatArray, ...]
    inverse: IntArray


def distinct_rows(*columns: FloatArray) -> DistinctRows:
    """Distinct rows of equal-length columns, ordered by the first column, then the next."""
    order = np.lexsort(columns[::-1])
    size = order.size
    changed = np.zeros(size, dtype=bool)
    changed[:1] = True
    for column in columns:
        ordered = column[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    group = np.cumsum(changed) - 1
    inverse = np.empty(size, dtype=np.int64)
    inverse[order] = group
    starts = order[changed]
    return DistinctRows(tuple(column[starts] for column in columns), inverse)


def weighted_counts(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """Sum of `weights` per value of `index` (0 .. size - 1)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)
