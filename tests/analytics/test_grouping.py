"""The group-by helpers agree with plain numpy references on any input, whichever of their
paths (a direct-address table, or sorting and searching) the input's spread selects."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.analytics.grouping import find, positions, unique_pairs

ids = st.one_of(
    st.integers(0, 50),  # dense: the table path
    st.integers(0, 10**12),  # spread out: the search and sort paths
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=60, unique=True), st.lists(ids, max_size=80))
def test_positions_find_each_key_among_the_customers(customers: list[int], keys: list[int]) -> None:
    sorted_customers = np.array(sorted(customers), dtype=np.int64)
    wanted = np.array(keys, dtype=np.int64)
    index, known = positions(sorted_customers, wanted)
    assert known.tolist() == [key in customers for key in keys]
    assert index.dtype == np.int64
    assert index.shape == wanted.shape
    if sorted_customers.size:
        assert (index >= 0).all()
        assert (index < sorted_customers.size).all()
        assert (sorted_customers[index[known]] == wanted[known]).all()


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=60, unique=True), st.lists(ids, max_size=80), st.randoms())
def test_find_locates_each_key_among_ids_in_any_order(
    values: list[int], keys: list[int], shuffle: random.Random
) -> None:
    shuffle.shuffle(values)
    unsorted = np.array(values, dtype=np.int64)
    wanted = np.array(keys, dtype=np.int64)
    index, known = find(unsorted, wanted)
    assert known.tolist() == [key in values for key in keys]
    assert index.dtype == np.int64
    assert index.shape == wanted.shape
    assert [values[at] for at in index[known].tolist()] == wanted[known].tolist()


def test_positions_of_contiguous_ids_know_keys_only_inside_them() -> None:
    customers = np.arange(1, 1_001, dtype=np.int64)
    keys = np.array([0, 1, 500, 1_000, 1_001, -7], dtype=np.int64)
    index, known = positions(customers, keys)
    assert known.tolist() == [False, True, True, True, False, False]
    assert index[known].tolist() == [0, 499, 999]


pairs = st.lists(st.tuples(st.integers(0, 300), st.integers(-5, 40)), max_size=120)
wide = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**5)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.one_of(pairs, wide))
def test_unique_pairs_are_numpys_unique_rows(rows: list[tuple[int, int]]) -> None:
    first = np.array([row[0] for row in rows], dtype=np.int64)
    second = np.array([row[1] for row in rows], dtype=np.int64)
    keys, inverse = unique_pairs(first, second)
    expected = sorted(set(rows))
    assert [tuple(pair) for pair in keys.tolist()] == expected
    assert [expected[at] for at in inverse.tolist()] == rows
    assert keys.dtype == np.int64
    assert inverse.dtype == np.int64
