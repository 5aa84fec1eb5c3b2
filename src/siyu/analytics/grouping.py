"""Group-by on numpy arrays: positions of each row's customer, sums, minima, medians."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]
# A direct-address table replaces sorting or searching when it spans at most this many entries
# per value it holds (plus a floor for small inputs): one gather per value instead of ~log2(n)
# cache misses of a binary search, or a sort, in memory bounded by the input's own size.
DENSE_SPAN_PER_VALUE = 4
DENSE_SPAN_FLOOR = 1 << 16


def _dense(span: int, values: int) -> bool:
    return span <= DENSE_SPAN_PER_VALUE * values + DENSE_SPAN_FLOOR


def positions(customers: Ints, keys: Ints) -> tuple[Ints, NDArray[np.bool_]]:
    """For each key, its index in the sorted, distinct `customers`, and whether it is one of
    them (an unknown key's index is any valid one). Customer ids are mostly contiguous: a
    table indexed by id gives each key's position in one gather."""
    if customers.size and keys.size:
        found = _by_table(customers, int(customers[0]), int(customers[-1]), keys)
        if found is not None:
            return found
    index = np.searchsorted(customers, keys)
    index = np.minimum(index, max(customers.size - 1, 0))
    found_any = customers.size > 0
    known = (customers[index] == keys) if found_any else np.zeros(keys.size, dtype=bool)
    return index.astype(np.int64), known


def find(ids: Ints, keys: Ints) -> tuple[Ints, NDArray[np.bool_]]:
    """`positions` for distinct `ids` in any order: each key's index in `ids`, and whether it
    is there. A table when the ids are dense, else a sort of the ids and a search."""
    if not ids.size:
        return np.zeros(keys.size, dtype=np.int64), np.zeros(keys.size, dtype=bool)
    if keys.size:
        found = _by_table(ids, int(ids.min()), int(ids.max()), keys)
        if found is not None:
            return found
    order = np.argsort(ids, kind="stable")
    index, known = positions(ids[order], keys)
    return order[index], known


def _by_table(ids: Ints, low: int, high: int, keys: Ints) -> tuple[Ints, NDArray[np.bool_]] | None:
    """Each key's index in `ids` (distinct, between low and high) through a direct-address
    table, or None when the ids are too spread out for one."""
    if not _dense(high - low + 1, ids.size):
        return None
    table = np.full(high - low + 1, -1, dtype=np.int64)
    table[ids - low] = np.arange(ids.size, dtype=np.int64)
    inside = (keys >= low) & (keys <= high)
    found = np.where(inside, table[np.where(inside, keys - low, 0)], -1)
    known = found >= 0
    return np.where(known, found, 0), known


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
    key = first * width + (second - low)
    space = (int(first.max()) + 1) * width
    if _dense(space, first.size):  # few distinct seconds (shops, categories): no sort
        present = np.zeros(space, dtype=bool)
        present[key] = True
        combined = np.flatnonzero(present)
        rank = np.cumsum(present, dtype=np.int32 if space < 2**31 else np.int64)
        inverse = rank[key].astype(np.int64) - 1
    else:
        combined, inverse = np.unique(key, return_inverse=True)
    keys = np.stack([combined // width, combined % width + low], axis=1)
    return keys.astype(np.int64), inverse.reshape(-1).astype(np.int64)
