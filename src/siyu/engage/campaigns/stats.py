"""Comparing a contacted group with its holdout: pure functions over counts and arrays.

- Conversion: the difference of two proportions with Newcombe's hybrid score interval
  (method 10 of Newcombe 1998, built from the two Wilson score intervals), which keeps its
  coverage with few converters where the Wald interval does not.
- Revenue per customer: the difference of two means with Welch's interval (unequal variances,
  Welch–Satterthwaite degrees of freedom); every customer counts, non-buyers as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

Float = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    low: float
    high: float


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a proportion."""
    if trials <= 0:
        raise ValueError("a proportion needs at least one trial")
    z = _z(confidence)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    return centre - half, centre + half


def proportion_difference(
    successes: int, trials: int, base_successes: int, base_trials: int, confidence: float = 0.95
) -> Interval:
    """p - p_base with Newcombe's hybrid score interval."""
    p, q = successes / trials, base_successes / base_trials
    low1, high1 = wilson(successes, trials, confidence)
    low0, high0 = wilson(base_successes, base_trials, confidence)
    below = math.sqrt((p - low1) ** 2 + (high0 - q) ** 2)
    above = math.sqrt((high1 - p) ** 2 + (q - low0) ** 2)
    return Interval(p - q, p - q - below, p - q + above)


def mean_difference(values: Float, base: Float, confidence: float = 0.95) -> Interval | None:
    """mean(values) - mean(base) with Welch's interval; None with fewer than 2 in a group."""
    if values.size < 2 or base.size < 2:
        return None
    difference = float(values.mean() - base.mean())
    v1, v0 = values.var(ddof=1) / values.size, base.var(ddof=1) / base.size
    error = math.sqrt(v1 + v0)
    if error == 0:
        return Interval(difference, difference, difference)
    freedom = (v1 + v0) ** 2 / (v1**2 / (values.size - 1) + v0**2 / (base.size - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, freedom)) * error
    return Interval(difference, difference - half, difference + half)
