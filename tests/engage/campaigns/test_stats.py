"""The interval arithmetic against published and hand-computed figures."""

from __future__ import annotations

import numpy as np
import pytest

from siyu.engage.campaigns.stats import mean_difference, proportion_difference, wilson


def test_newcombe_hybrid_score_matches_the_published_examples() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10
    first = proportion_difference(56, 70, 48, 80)
    assert (round(first.estimate, 4), round(first.low, 4), round(first.high, 4)) == (
        0.2, 0.0524, 0.3339
    )  # fmt: skip
    second = proportion_difference(9, 10, 3, 10)
    assert (round(second.low, 4), round(second.high, 4)) == (0.1705, 0.8090)
    extreme = proportion_difference(10, 10, 0, 20)  # the interval stays inside [-1, 1]
    assert (round(extreme.low, 4), extreme.high) == (0.6791, 1.0)


def test_wilson_interval_by_hand() -> None:
    # p = 0.8, n = 70, z = 1.959964: centre (0.8 + z²/140) / (1 + z²/70) = 0.784393,
    # half z·sqrt(0.16/70 + z²/19600) / (1 + z²/70) = 0.092560
    low, high = wilson(56, 70)
    assert (round(low, 4), round(high, 4)) == (0.6918, 0.877)
    with pytest.raises(ValueError, match="at least one trial"):
        wilson(0, 0)


def test_welch_interval_by_hand() -> None:
    # means 75 and 10; variances 27500/3 and 500; se² = 2291.667 + 100 = 2391.667 (se 48.905);
    # df = 2391.667² / (2291.667²/3 + 100²/4) = 3.2629; t(0.975, 3.2629) = 3.0422
    result = mean_difference(np.array([0.0, 0, 100, 200]), np.array([0.0, 0, 0, 50, 0]))
    assert result is not None
    assert round(result.estimate, 6) == 65.0
    assert round(result.high - result.estimate, 2) == 148.78
    assert round(result.estimate - result.low, 2) == 148.78
    assert mean_difference(np.array([1.0]), np.array([1.0, 2.0])) is None
    flat = mean_difference(np.array([3.0, 3.0]), np.array([1.0, 1.0]))
    assert flat is not None
    assert (flat.low, flat.high) == (2.0, 2.0)
