"""Gamma-Gamma spend model and CLV: published CDNOW estimates, gradient, recovery, lifetimes."""

from __future__ import annotations

import numpy as np
import pytest

from siyu.analytics.clv import (
    BgNbdParams,
    ConvergenceError,
    GammaGammaParams,
    InsufficientDataError,
    InvalidInputError,
    RfmSummary,
    TimeUnit,
    conditional_expected_purchases,
    conditional_expected_spend,
    customer_lifetime_value,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from siyu.analytics.clv._gamma_gamma_terms import SpendData, log_likelihood_and_gradient
from siyu.analytics.clv.simulate import simulate_transactions


def test_cdnow_fit_reproduces_the_published_estimates(cdnow_calibration: RfmSummary) -> None:
    # Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", and Hardie's note
    # "The Gamma-Gamma model of monetary value" (2013), on the 946 CDNOW repeat buyers:
    # p = 6.25, q = 3.74, gamma = 15.44.
    summary = cdnow_calibration
    fit = fit_gamma_gamma(summary.frequency, summary.monetary_value)
    assert fit.n_customers == 946
    assert fit.params.p == pytest.approx(6.25, abs=5e-3)
    assert fit.params.q == pytest.approx(3.74, abs=5e-3)
    assert fit.params.gamma == pytest.approx(15.44, abs=5e-3)


def test_gradient_matches_central_differences(cdnow_calibration: RfmSummary) -> None:
    repeat = cdnow_calibration.frequency > 0
    x, mean_value = cdnow_calibration.frequency[repeat], cdnow_calibration.monetary_value[repeat]
    weights = np.random.default_rng(5).uniform(0.5, 2.0, x.size)
    data = SpendData.of(x, mean_value, weights)
    point = np.log([5.0, 3.0, 20.0])

    def total(log_parameters: np.ndarray) -> float:
        params = GammaGammaParams(*np.exp(log_parameters))
        return float(weights @ gamma_gamma_log_likelihood(params, x, mean_value))

    value, analytic = log_likelihood_and_gradient(point, data)
    assert value == pytest.approx(total(point), rel=1e-12)
    step = 1e-6
    numeric = [
        (total(point + step * unit) - total(point - step * unit)) / (2 * step) for unit in np.eye(3)
    ]
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-4)


def test_fit_recovers_simulated_spend() -> None:
    truth = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    simulated = simulate_transactions(
        np.random.default_rng(2005),
        20_000,
        BgNbdParams(r=0.5, alpha=4.0, a=0.8, b=2.5),
        truth,
        birth_days=12,
        end_day=52,
    )
    first = np.flatnonzero(np.diff(simulated.customer, prepend=-1))
    frequency = np.diff(np.r_[first, simulated.customer.size]) - 1
    repeat_value = np.add.reduceat(simulated.value, first) - simulated.value[first]
    mean_value = np.divide(repeat_value, frequency, out=np.zeros(first.size), where=frequency > 0)
    fit = fit_gamma_gamma(frequency, mean_value)
    assert fit.params.p == pytest.approx(truth.p, rel=0.1)
    assert fit.params.population_mean_spend == pytest.approx(truth.population_mean_spend, rel=0.05)
    repeat = frequency > 0
    at_truth = gamma_gamma_log_likelihood(truth, frequency[repeat], mean_value[repeat]).sum()
    assert fit.log_likelihood >= at_truth


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    # Hardie's note, eq. for E(M | p, q, gamma, mx, x): a weighted mean of the population
    # mean p gamma / (q - 1) and the customer's own mean, the weight on the latter growing in x.
    params = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    spend = conditional_expected_spend(params, [0, 1, 10, 1000], [0.0, 50.0, 50.0, 50.0])
    assert spend[0] == pytest.approx(params.population_mean_spend)
    assert spend[0] < spend[1] < spend[2] < spend[3] < 50.0
    assert spend[1] == pytest.approx(6.25 * (15.44 + 50.0) / (6.25 + 3.74 - 1))


def test_identical_spenders_leave_the_heterogeneity_unidentified() -> None:
    with pytest.raises(ConvergenceError, match="not identified"):
        fit_gamma_gamma(np.full(500, 5.0), np.full(500, 10.0))


def test_too_few_or_invalid_spenders_are_refused() -> None:
    with pytest.raises(InsufficientDataError, match="at least 200 repeat customers, got 3"):
        fit_gamma_gamma([1, 2, 0, 4], [10.0, 12.0, 0.0, 9.0])
    with pytest.raises(InvalidInputError, match="positive monetary_value"):
        fit_gamma_gamma([1, 2], [10.0, 0.0], min_repeat_customers=1)


def test_clv_matches_lifetimes_at_the_same_parameters() -> None:
    # lifetimes 0.11.3 (run once by hand): BetaGeoFitter and GammaGammaFitter fitted on its
    # cdnow_customers_summary_with_transactions.csv (Hardie's rounded summary), then
    # GammaGammaFitter.customer_lifetime_value(..., time=12, discount_rate=0.01, freq="W")
    # for its first three customers gives 36.2784957636, 4.6374663286 and 8.3440931218.
    purchases = BgNbdParams(
        r=0.2425929282798216, alpha=4.4135322652718125, a=0.7928859664406493, b=2.42575238262571
    )
    spend = GammaGammaParams(p=6.248802496079201, q=3.74458846092242, gamma=15.447748064915702)
    value = customer_lifetime_value(
        purchases,
        spend,
        frequency=[2, 1, 0],
        recency=[30.43, 1.71, 0.0],
        age=[38.86, 38.86, 38.86],
        monetary_value=[22.35, 11.77, 0.0],
        unit=TimeUnit.WEEK,
        days_per_month=4.345 * 7,  # lifetimes' weekly month
    )
    np.testing.assert_allclose(value, [36.2784957636, 4.6374663286, 8.3440931218], rtol=1e-9)


def test_clv_sums_discounted_monthly_purchases_valued_at_expected_spend() -> None:
    purchases = BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)  # per day
    spend = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    rows = ([3, 0], [200.0, 0.0], [250.0, 40.0])
    expected_spend = conditional_expected_spend(spend, [3, 0], [20.0, 0.0])
    one_month, two_months = (conditional_expected_purchases(purchases, t, *rows) for t in (30, 60))
    value = customer_lifetime_value(
        purchases,
        spend,
        *rows,
        [20.0, 0.0],
        unit=TimeUnit.DAY,
        months=2,
        monthly_discount_rate=0.02,
    )
    by_hand = expected_spend * (one_month / 1.02 + (two_months - one_month) / 1.02**2)
    np.testing.assert_allclose(value, by_hand, rtol=1e-12)
