"""CLV fixtures: the CDNOW sample and Hardie's calibration summary of it."""

from __future__ import annotations

import pytest

from siyu.analytics.clv import RfmSummary, TimeUnit, summarize_transactions
from tests.analytics.clv_cdnow import CALIBRATION_END_DAY, CdnowTransactions, load_cdnow_sample


@pytest.fixture(scope="session")
def cdnow_transactions() -> CdnowTransactions:
    return load_cdnow_sample()


@pytest.fixture(scope="session")
def cdnow_calibration(cdnow_transactions: CdnowTransactions) -> RfmSummary:
    """Hardie's calibration summary: weeks, zero-value days counted as his data does."""
    return summarize_transactions(
        cdnow_transactions.customer,
        cdnow_transactions.day,
        cdnow_transactions.value,
        end_day=CALIBRATION_END_DAY,
        unit=TimeUnit.WEEK,
        count_zero_value_days=True,
    )
