"""RFM quintile scores and the standard named segments.

R, F and M are scored 1–5 among buyers by percentile rank (ties share the lowest): recent, frequent
and high-spending customers score 5. The segment comes from R and FM = round((F + M) / 2) through
the one grid below: the definitions live here and nowhere else (docs/metrics.md renders them).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)

# GRID[r][fm] for r, fm in 1..5 (index 0 unused).
_ROWS = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "loyal", "loyal", "champions"),
    3: ("about_to_sleep", "need_attention", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "about_to_sleep", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "hibernating", "at_risk", "cant_lose", "cant_lose"),
}
GRID: dict[tuple[int, int], str] = {
    (r, fm): name for r, row in _ROWS.items() for fm, name in enumerate(row, start=1)
}


def quintile_scores(
    values: NDArray[np.float64], *, higher_is_better: bool = True
) -> NDArray[np.int64]:
    """1–5 by percentile rank; equal values get equal scores (the lowest of the tie, so the
    many one-purchase buyers score F = 1, not the top of their tie): ⌈5 × rank / N⌉, in
    integers (a float product can land a hair above a whole number)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = rankdata(values if higher_is_better else -values, method="min").astype(np.int64)
    return np.asarray(np.clip((5 * ranks + values.size - 1) // values.size, 1, 5), np.int64)


Thresholds = tuple[int | None, ...]  # four, ascending; None: every value exceeds it


def threshold_positions(count: int) -> list[int | None]:
    """Where the four thresholds sit among `count` values sorted ascending: ⌊s × N / 5⌋ − 1
    for s = 1..4 (None before the first value)."""
    return [(s * count) // 5 - 1 if (s * count) // 5 > 0 else None for s in range(1, 5)]


def quintile_thresholds(sorted_values: NDArray[np.int64]) -> Thresholds:
    """The values at `threshold_positions`: a value scores 1 + the number of thresholds it
    exceeds, the score `quintile_scores` gives it among these values. (A value's score is
    ⌈5 × (j + 1) / N⌉ for j the first index of its tie; it is above s exactly when j ≥ ⌊sN/5⌋,
    i.e. when it exceeds the value just before that position.) So the scores of N values
    are known from four of them: an incremental refresh reads those four from an index."""
    return tuple(
        None if at is None else int(sorted_values[at])
        for at in threshold_positions(sorted_values.size)
    )


def threshold_scores(values: NDArray[np.int64], thresholds: Thresholds) -> NDArray[np.int64]:
    scores = np.ones(values.size, dtype=np.int64)
    for threshold in thresholds:
        scores += True if threshold is None else values > threshold
    return scores


def segment_names(r: NDArray[np.int64], f: NDArray[np.int64], m: NDArray[np.int64]) -> list[str]:
    fm = np.floor((f + m) / 2 + 0.5).astype(np.int64)
    lookup = np.empty((6, 6), dtype=object)
    for (r_score, fm_score), name in GRID.items():
        lookup[r_score, fm_score] = name
    return list(lookup[r, fm])
