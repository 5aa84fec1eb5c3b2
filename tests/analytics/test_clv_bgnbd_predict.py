"""BG/NBD predictions: Hardie's worked example, the x = 0 convention, FHL eq. 10 as printed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

from siyu.analytics.clv import (
    BgNbdParams,
    conditional_expected_purchases,
    conditional_expected_purchases_at,
    expected_next_purchase_in,
    probability_alive,
    unconditional_expected_purchases,
)

# Fader, Hardie & Lee (2005), CDNOW estimates (weeks).
PAPER = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def _equation_10(params: BgNbdParams, t: float, x: float, t_x: float, age: float) -> float:
    """FHL 2005 eq. 10 term by term, without the Euler transformation the package uses."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    ratio = (alpha + age) / (alpha + age + t)
    series = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t))
    numerator = (a + b + x - 1) / (a - 1) * (1 - ratio ** (r + x) * series)
    dead_odds = a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return float(numerator / (1 + dead_odds))


def test_expected_purchases_match_hardies_spreadsheet() -> None:
    # Hardie, "Implementing the BG/NBD model for customer base analysis in Excel" (2005):
    # a customer with x = 2, t_x = 30.43, T = 38.86 is expected to buy 1.226 times in 39 weeks.
    expected = conditional_expected_purchases(PAPER, 39.0, [2], [30.43], [38.86])
    assert expected[0] == pytest.approx(1.226, abs=5e-4)


@pytest.mark.parametrize(("x", "t_x", "age"), [(0, 0.0, 38.86), (1, 1.71, 38.86), (7, 29.4, 32.0)])
@pytest.mark.parametrize("t", [0.5, 13.0, 39.0, 520.0])
def test_euler_form_equals_equation_10(x: int, t_x: float, age: float, t: float) -> None:
    computed = conditional_expected_purchases(PAPER, t, [x], [t_x], [age])[0]
    assert computed == pytest.approx(_equation_10(PAPER, t, x, t_x, age), rel=1e-10)


def test_no_repeat_purchase_means_alive() -> None:
    # BG/NBD drops customers only just after a repeat purchase (FHL 2005 section 3), so
    # P(alive | x = 0) = 1 (Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model",
    # 2008).
    alive = probability_alive(PAPER, [0, 0, 2], [0.0, 0.0, 30.43], [0.1, 500.0, 38.86])
    np.testing.assert_array_equal(alive[:2], [1.0, 1.0])
    assert 0 < alive[2] < 1


def test_probability_alive_matches_equation_11() -> None:
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b
    odds = a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2)
    assert probability_alive(PAPER, [2], [30.43], [38.86])[0] == pytest.approx(1 / (1 + odds))


def test_unconditional_is_the_newborn_conditional() -> None:
    t = np.array([1.0, 39.0, 78.0])
    newborn = conditional_expected_purchases_at(PAPER, t, [0], [0.0], [0.0])[:, 0]
    unconditional = unconditional_expected_purchases(PAPER, t)
    np.testing.assert_allclose(unconditional, newborn)
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b
    equation_7 = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + 39)) ** r * hyp2f1(r, b, a + b - 1, 39 / (alpha + 39)))
    )
    assert unconditional[1] == pytest.approx(equation_7, rel=1e-10)


def test_heavy_buyers_stay_finite_where_equation_10_overflows() -> None:
    x = np.array([500.0, 5000.0, 20000.0])
    expected = conditional_expected_purchases(PAPER, 52.0, x, [39.0] * 3, [39.0] * 3)
    assert np.all(np.isfinite(expected))
    assert np.all(np.diff(expected) > 0)
    # below what the posterior rate (r + x) / (alpha + T) would give with no dropout at all
    no_dropout = 52 * (PAPER.r + x) / (PAPER.alpha + 39)
    assert np.all((expected < no_dropout) & (expected > 0.5 * no_dropout))


def test_next_purchase_quantile_is_where_the_posterior_wait_survival_crosses() -> None:
    x, age = np.array([0.0, 2.0, 10.0]), np.array([38.86, 38.86, 20.0])
    wait = expected_next_purchase_in(PAPER, x, [0.0, 30.43, 19.0], age, probability=0.8)
    survival = ((PAPER.alpha + age) / (PAPER.alpha + age + wait)) ** (PAPER.r + x)
    np.testing.assert_allclose(survival, 0.2)
    assert wait[2] < wait[1] < wait[0]
