"""Bruce Hardie's CDNOW sample as arrays (origin and format: tests/fixtures/cdnow/SOURCE.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

CDNOW_SAMPLE = Path(__file__).parents[1] / "fixtures" / "cdnow" / "CDNOW_sample.txt"
# Fader, Hardie & Lee (2005): 39-week calibration period, 1 January to 30 September 1997.
CALIBRATION_END_DAY = int(np.datetime64("1997-09-30", "D").astype(np.int64))


@dataclass(frozen=True, slots=True)
class CdnowTransactions:
    customer: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]  # days since 1970-01-01
    value: npt.NDArray[np.float64]  # US dollars


def _days_since_epoch(yyyymmdd: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    years = (yyyymmdd // 10000 - 1970).astype("datetime64[Y]")
    months = years.astype("datetime64[M]") + (yyyymmdd // 100 % 100 - 1)
    days = months.astype("datetime64[D]") + (yyyymmdd % 100 - 1)
    return days.astype(np.int64)


def load_cdnow_sample() -> CdnowTransactions:
    columns = np.loadtxt(CDNOW_SAMPLE, dtype=np.float64)
    return CdnowTransactions(
        customer=columns[:, 1].astype(np.int64),
        day=_days_since_epoch(columns[:, 2].astype(np.int64)),
        value=columns[:, 4],
    )
