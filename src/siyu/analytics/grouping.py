"""Group-by on numpy arrays: positions of each row's customer, sums, minima, medians."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]


def positions(customers: Ints, keys: Ints) -> tuple[Ints, NDArray[np.bool_]]:
    """For each key, its index in the sorted `customers`, and whether it is one of them."""
    index = np.searchsorted(customers, keys)
    index = np.minimum(index, max(customers.size - 1, 0))
    found = customers.size > 0
    known = (customers[index] == keys) if found else np.zeros(keys.size, dtype=bool)
    return index.astype(np.int64), known


def group_sum(index: Ints, values: NDArray[Any], size: int) -> NDArray[np.float64]:
    return np.asarray(
        np.bincount(index, weights=values.astype(np.float64), minlength=size), dtype=np.float64
    )


def group_min(index: Ints, values: Ints, size: int, empty: int) -> Ints:
    result = np.full(size, empty, dtype=np.int64)
    np.minimum.at(result, index, values)
    return result


def group_max(index: Ints, values: Ints, size: int, empty: int) -> Ints:
    result = np.full(size, empty, dtype=np.int64)
    np.maximum.at(result, index, values)
    return result


def group_median(index: Ints, values: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Median per group (NaN where a group is empty)."""
    result = np.full(size, np.nan)
    if index.size == 0:
        return result
    order = np.lexsort((values, index))
    index, values = index[order], values[order]
    counts = np.bincount(index, minlength=size)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    present = counts > 0
    low = starts + (counts - 1) // 2
    high = starts + counts // 2
    result[present] = (values[low[present]] + values[high[present]]) / 2
    return result


def unique_pairs(first: Ints, second: Ints) -> tuple[NDArray[np.int64], Ints]:
    """Distinct (first, second) pairs sorted, as an (n, 2) array, and each row's pair index —
    `np.unique(axis=0)` on one int64 key per pair, which sorts far faster than rows."""
    if first.size == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    low, high = int(second.min()), int(second.max())
    width = high - low + 1
    if (int(first.max()) + 1) * width >= 2**62 or int(first.min()) < 0:
        keys, inverse = np.unique(np.stack([first, second], axis=1), axis=0, return_inverse=True)
        return keys.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    combined, inverse = np.unique(first * width + (second - low), return_inverse=True)
    keys = np.stack([combined // width, combined % width + low], axis=1)
    return keys.astype(np.int64), inverse.reshape(-1).astype(np.int64)
