"""BG/NBD likelihood and fit: published CDNOW estimates, Hardie's note 027, gradient, recovery."""

from __future__ import annotations

import numpy as np
import pytest

from siyu.analytics.clv import (
    BgNbdParams,
    GammaGammaParams,
    InsufficientDataError,
    RfmSummary,
    bgnbd_log_likelihood,
    bgnbd_log_likelihood_gradient,
    fit_bgnbd,
)
from siyu.analytics.clv.simulate import simulate_transactions


def _significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


def test_cdnow_fit_reproduces_fader_hardie_lee_2005(cdnow_calibration: RfmSummary) -> None:
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science
    # 24(2), section 5: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    summary = cdnow_calibration
    fit = fit_bgnbd(summary.frequency, summary.recency, summary.age)
    params = fit.params
    assert _significant(params.r) == 0.243
    assert _significant(params.alpha) == 4.41
    assert _significant(params.a) == 0.793
    assert _significant(params.b) == 2.43
    assert params.alpha == pytest.approx(4.414, abs=5e-4)
    assert params.b == pytest.approx(2.426, abs=5e-4)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    assert (fit.n_customers, fit.n_repeat_customers) == (2357, 946)
    assert fit.n_distinct_rows < 2357  # identical (x, t_x, T) rows were collapsed


def test_log_likelihood_matches_hardie_note_027() -> None:
    # Hardie, "Overcoming the BG/NBD model's #NUM! error problem" (note 027): r = 0.25,
    # alpha = 4, a = 0.8, b = 2.5, T = 40; x = 200, t_x = 38 -> 100.7957; x = 0 -> -0.59947382.
    params = BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
    contributions = bgnbd_log_likelihood(params, [200, 0], [38.0, 0.0], [40.0, 40.0])
    assert contributions[0] == pytest.approx(100.7957, abs=5e-5)
    assert contributions[1] == pytest.approx(-0.59947382, abs=5e-9)


def test_gradient_matches_central_differences(cdnow_calibration: RfmSummary) -> None:
    summary = cdnow_calibration
    params = BgNbdParams(r=0.3, alpha=5.0, a=0.6, b=3.0)
    weights = np.random.default_rng(3).uniform(0.5, 2.0, summary.frequency.size)

    def total(log_parameters: np.ndarray) -> float:
        shifted = BgNbdParams(*np.exp(log_parameters))
        contributions = bgnbd_log_likelihood(
            shifted, summary.frequency, summary.recency, summary.age
        )
        return float(weights @ contributions)

    step = 1e-6
    numeric = [
        (total(params.to_log_array() + step * unit) - total(params.to_log_array() - step * unit))
        / (2 * step)
        for unit in np.eye(4)
    ]
    analytic = bgnbd_log_likelihood_gradient(
        params, summary.frequency, summary.recency, summary.age, weights
    )
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-4)


def test_weighted_rows_fit_like_repeated_rows(cdnow_calibration: RfmSummary) -> None:
    summary = cdnow_calibration
    doubled = fit_bgnbd(
        np.tile(summary.frequency, 2), np.tile(summary.recency, 2), np.tile(summary.age, 2)
    )
    weighted = fit_bgnbd(
        summary.frequency, summary.recency, summary.age, weights=np.full(summary.age.size, 2.0)
    )
    assert weighted.params.r == pytest.approx(doubled.params.r, rel=1e-6)
    assert weighted.params.b == pytest.approx(doubled.params.b, rel=1e-6)
    assert weighted.log_likelihood == pytest.approx(doubled.log_likelihood, rel=1e-9)


def test_fit_recovers_simulated_parameters() -> None:
    # Simulate the BG/NBD story itself (FHL 2005 section 3) in continuous time: 20,000
    # customers born over 12 weeks, observed to week 39, at the CDNOW estimates.
    truth = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    simulated = simulate_transactions(
        np.random.default_rng(20050101),
        20_000,
        truth,
        GammaGammaParams(p=6.25, q=3.74, gamma=15.44),
        birth_days=12,
        end_day=39,
    )
    first = np.flatnonzero(np.diff(simulated.customer, prepend=-1))
    last = np.r_[first[1:], simulated.customer.size] - 1
    frequency, recency = last - first, simulated.time[last] - simulated.time[first]
    age = 39.0 - simulated.time[first]
    fit = fit_bgnbd(frequency, recency, age)
    assert fit.params.r == pytest.approx(truth.r, rel=0.1)
    assert fit.params.alpha == pytest.approx(truth.alpha, rel=0.1)
    assert fit.params.a == pytest.approx(truth.a, rel=0.25)
    assert fit.params.b == pytest.approx(truth.b, rel=0.25)
    at_truth = bgnbd_log_likelihood(truth, frequency, recency, age).sum()
    assert fit.log_likelihood >= at_truth


def test_too_few_repeat_customers_is_refused() -> None:
    with pytest.raises(InsufficientDataError, match="at least 200 repeat customers, got 2"):
        fit_bgnbd([0, 1, 3, 0], [0.0, 2.0, 5.0, 0.0], [10.0, 10.0, 10.0, 4.0])


def test_one_time_buyers_are_fitted_alongside_repeat_buyers(
    cdnow_calibration: RfmSummary,
) -> None:
    summary = cdnow_calibration
    only_once = summary.frequency == 0
    assert np.all(
        np.isfinite(
            bgnbd_log_likelihood(
                BgNbdParams(0.243, 4.414, 0.793, 2.426),
                summary.frequency[only_once],
                summary.recency[only_once],
                summary.age[only_once],
            )
        )
    )
    with pytest.raises(InsufficientDataError):
        fit_bgnbd(summary.frequency[only_once], summary.recency[only_once], summary.age[only_once])
