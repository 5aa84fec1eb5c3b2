"""summarize_transactions: per-customer-day purchases, units, the end day and CDNOW."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from siyu.analytics.clv import InvalidInputError, RfmSummary, TimeUnit, summarize_transactions
from tests.analytics.clv_cdnow import CALIBRATION_END_DAY, CDNOW_SAMPLE, CdnowTransactions


def _summary(**overrides: object) -> RfmSummary:
    # customer 1: day 0 (2.0), day 2 (3.0 + 4.0 on one day), day 3 (0.0), day 9 (after the end)
    # customer 3: day 5 and day 8;  customer 2: day 4 only
    arguments: dict[str, object] = {
        "customer": [3, 1, 1, 1, 3, 1, 2, 1],
        "day": [5, 0, 2, 2, 8, 3, 4, 9],
        "value": [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 6.0, 7.0],
        "end_day": 8,
        "unit": TimeUnit.DAY,
    }
    arguments.update(overrides)
    return summarize_transactions(**arguments)  # type: ignore[arg-type]


def test_purchases_are_customer_days_and_values_are_summed() -> None:
    summary = _summary()
    np.testing.assert_array_equal(summary.customer, [1, 2, 3])
    np.testing.assert_array_equal(summary.frequency, [1, 0, 1])
    np.testing.assert_array_equal(summary.recency, [2, 0, 3])
    np.testing.assert_array_equal(summary.age, [8, 4, 3])
    np.testing.assert_array_equal(summary.monetary_value, [7.0, 0.0, 5.0])


def test_zero_value_days_count_only_when_asked() -> None:
    summary = _summary(count_zero_value_days=True)
    np.testing.assert_array_equal(summary.frequency, [2, 0, 1])
    np.testing.assert_array_equal(summary.recency, [3, 0, 3])
    np.testing.assert_array_equal(summary.monetary_value, [3.5, 0.0, 5.0])


def test_weeks_divide_days_by_seven() -> None:
    summary = _summary(unit=TimeUnit.WEEK)
    np.testing.assert_allclose(summary.recency, np.array([2, 0, 3]) / 7)
    np.testing.assert_allclose(summary.age, np.array([8, 4, 3]) / 7)


def test_row_order_does_not_matter() -> None:
    order = np.random.default_rng(7).permutation(8)
    shuffled = _summary(
        customer=np.array([3, 1, 1, 1, 3, 1, 2, 1])[order],
        day=np.array([5, 0, 2, 2, 8, 3, 4, 9])[order],
        value=np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 6.0, 7.0])[order],
    )
    np.testing.assert_array_equal(shuffled.frequency, _summary().frequency)
    np.testing.assert_array_equal(shuffled.monetary_value, _summary().monetary_value)


def test_negative_values_are_refused_as_unremoved_refunds() -> None:
    with pytest.raises(InvalidInputError, match="refunds"):
        _summary(value=[1.0, 2.0, -3.0, 4.0, 5.0, 0.0, 6.0, 7.0])


def test_no_transactions_give_an_empty_summary() -> None:
    empty = np.array([], dtype=np.int64)
    summary = summarize_transactions(empty, empty, np.array([]), end_day=10)
    assert summary.customer.size == summary.frequency.size == summary.age.size == 0


def test_cdnow_calibration_matches_hardies_summary(
    cdnow_calibration: RfmSummary, cdnow_transactions: CdnowTransactions
) -> None:
    # Hardie's BG/NBD and Gamma-Gamma spreadsheets (also lifetimes 0.11.3's
    # datasets/cdnow_customers_summary_with_transactions.csv): 2,357 customers, 946 of them
    # repeat buyers; customer 1 has x = 2, t_x = 30.43, T = 38.86 and zbar = 22.35.
    summary = cdnow_calibration
    assert summary.customer.size == 2357
    assert int(np.count_nonzero(summary.frequency)) == 946
    assert summary.frequency[0] == 2
    assert summary.recency[0] == pytest.approx(30.43, abs=0.005)
    assert summary.age[0] == pytest.approx(38.86, abs=0.005)
    assert summary.monetary_value[0] == pytest.approx((29.73 + 14.96) / 2)  # 22.35 rounded
    assert summary.age.max() == pytest.approx(272 / 7)
    assert cdnow_transactions.day.max() > CALIBRATION_END_DAY  # the hold-out is ignored


def test_cdnow_fixture_is_the_documented_file() -> None:
    source = (CDNOW_SAMPLE.parent / "SOURCE.md").read_text(encoding="utf-8")
    documented = re.search(r"sha256.*`([0-9a-f]{64})`", source)
    assert documented is not None
    assert hashlib.sha256(CDNOW_SAMPLE.read_bytes()).hexdigest() == documented.group(1)


def test_cdnow_customers_with_only_free_orders_drop_out_by_default(
    cdnow_transactions: CdnowTransactions,
) -> None:
    # 8 CDNOW customers' only calibration purchase is worth 0.00 (see SOURCE.md).
    summary = summarize_transactions(
        cdnow_transactions.customer,
        cdnow_transactions.day,
        cdnow_transactions.value,
        end_day=CALIBRATION_END_DAY,
    )
    assert summary.customer.size == 2357 - 8
