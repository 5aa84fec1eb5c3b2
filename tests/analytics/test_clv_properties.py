"""Edge cases of every likelihood and prediction, as properties over wide input ranges.

Hardie's note 027 shows the textbook BG/NBD likelihood overflowing (#NUM!) for large x; the
log-space form must stay finite everywhere, and so must the predictions.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.analytics.clv import (
    BgNbdParams,
    GammaGammaParams,
    bgnbd_log_likelihood,
    bgnbd_log_likelihood_gradient,
    conditional_expected_purchases,
    conditional_expected_spend,
    expected_next_purchase_in,
    gamma_gamma_log_likelihood,
    probability_alive,
)

positive = st.floats(min_value=1e-4, max_value=1e4)
# what fits produce; past a ~ 20 with t >> alpha + T scipy's hyp2f1 itself can fail
shape = st.floats(min_value=0.01, max_value=20.0)
scale = st.floats(min_value=0.01, max_value=1000.0)
frequency = st.integers(min_value=0, max_value=100_000)
age = st.floats(min_value=0.0, max_value=100_000.0)
share = st.floats(min_value=0.0, max_value=1.0)


@settings(max_examples=300, deadline=None)
@given(positive, positive, positive, positive, frequency, share, age)
def test_bgnbd_log_likelihood_and_gradient_are_finite(
    r: float, alpha: float, a: float, b: float, x: int, recency_share: float, t: float
) -> None:
    params = BgNbdParams(r=r, alpha=alpha, a=a, b=b)
    recency = [recency_share * t if x > 0 else 0.0]
    assert np.all(np.isfinite(bgnbd_log_likelihood(params, [x], recency, [t])))
    assert np.all(np.isfinite(bgnbd_log_likelihood_gradient(params, [x], recency, [t])))


@settings(max_examples=300, deadline=None)
@given(shape, scale, shape, st.floats(0.01, 100.0), st.integers(0, 5000), share, scale, scale)
def test_bgnbd_predictions_are_finite_and_in_range(
    r: float, alpha: float, a: float, b: float, x: int, recency_share: float, t: float, h: float
) -> None:
    params = BgNbdParams(r=r, alpha=alpha, a=a, b=b)
    recency = [recency_share * t if x > 0 else 0.0]
    alive = probability_alive(params, [x], recency, [t])
    expected = conditional_expected_purchases(params, h, [x], recency, [t])
    wait = expected_next_purchase_in(params, [x], recency, [t])
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(expected) & (expected >= 0))
    assert np.all(np.isfinite(wait) & (wait >= 0))


@pytest.mark.parametrize(("r", "a", "b"), [(1.0, 2.0, 1.0), (3.0, 2.0, 4.0), (1.0, 0.5, 0.5)])
def test_integer_parameter_sets_that_break_hyp2f1_still_predict(
    r: float, a: float, b: float
) -> None:
    # scipy's hyp2f1 gives inf/nan when c - a - b is an integer (r = 1, a = 2, x = 99) or at
    # c = 0 (x = 0, a + b = 1): the prediction must match its neighbour a hair away.
    x, recency, age = [0, 99, 100], [0.0, 0.5, 0.99], [0.5, 0.5, 1.0]
    exact = conditional_expected_purchases(BgNbdParams(r, 0.125, a, b), 6.0, x, recency, age)
    nearby = BgNbdParams(r * (1 + 1e-7), 0.125, a, b * (1 + 1e-7))
    np.testing.assert_allclose(
        exact, conditional_expected_purchases(nearby, 6.0, x, recency, age), rtol=1e-5
    )


@settings(max_examples=300, deadline=None)
@given(positive, positive, positive, st.integers(1, 100_000), st.floats(1e-6, 1e7))
def test_gamma_gamma_log_likelihood_and_spend_are_finite(
    p: float, q: float, gamma: float, x: int, mean_value: float
) -> None:
    params = GammaGammaParams(p=p, q=q, gamma=gamma)
    assert np.all(np.isfinite(gamma_gamma_log_likelihood(params, [x], [mean_value])))
    if p * x + q > 1:
        assert np.all(np.isfinite(conditional_expected_spend(params, [x], [mean_value])))
