"""The RFM table and the lifecycle state machine, on arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from siyu.analytics.lifecycle import ORDER_STAGES, current_stages, purchase_transitions
from siyu.analytics.policy import LifecyclePolicy
from siyu.analytics.rfm import (
    GRID,
    SEGMENTS,
    quintile_scores,
    quintile_thresholds,
    segment_names,
    threshold_scores,
)


def test_the_grid_covers_every_cell_with_the_eleven_named_segments() -> None:
    assert set(GRID) == {(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert set(GRID.values()) == set(SEGMENTS)
    assert len(SEGMENTS) == 11


def test_quintiles_rank_and_keep_ties_together() -> None:
    values = np.array([1, 1, 1, 1, 2, 3, 4, 5, 6, 100], dtype=np.float64)
    assert quintile_scores(values).tolist() == [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]
    recency = np.array([1, 10, 100, 1000, 5000], dtype=np.float64)
    assert quintile_scores(recency, higher_is_better=False).tolist() == [5, 4, 3, 2, 1]


def test_named_segments() -> None:
    r, f, m = np.array([5, 1, 5, 1]), np.array([5, 1, 1, 5]), np.array([5, 1, 1, 5])
    assert segment_names(r, f, m) == ["champions", "lost", "new", "cant_lose"]


@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=200))
def test_quintile_scores_are_monotone(values: list[float]) -> None:
    array = np.array(values)
    scores = quintile_scores(array)
    order = np.argsort(array, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)
    assert scores.min() >= 1
    if np.count_nonzero(array == array.max()) == 1:  # a unique best value scores 5
        assert scores[np.argmax(array)] == 5


@given(st.lists(st.integers(min_value=-1_000, max_value=1_000), min_size=1, max_size=300))
def test_four_thresholds_give_every_quintile_score(values: list[int]) -> None:
    """The incremental refresh scores a few customers from four values read off an index;
    they must score exactly as ranking everyone does, ties and all."""
    array = np.array(values, dtype=np.int64)
    thresholds = quintile_thresholds(np.sort(array))
    assert threshold_scores(array, thresholds).tolist() == quintile_scores(array).tolist()


def test_scores_are_exact_where_five_ranks_make_a_whole_number() -> None:
    # 3 of 15: 5 × 3 / 15 = 1 exactly, so the third value scores 1, the fourth 2
    values = np.arange(15, dtype=np.float64)
    assert quintile_scores(values).tolist() == [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3 + [5] * 3


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=40))
def test_purchase_transitions_walk_the_funnel_in_order(days_between: list[int]) -> None:
    days = np.cumsum(np.array(days_between, dtype=np.int64))
    customers = np.zeros(days.size, dtype=np.int64)
    policy = LifecyclePolicy()
    _, when, codes = purchase_transitions(customers, days, policy)
    stages = [ORDER_STAGES[code] for code in codes]
    funnel = ["first_order", "second_order", "third_order", "loyal"]  # loyal at the 4th purchase
    assert stages == funnel[: min(days.size, 4)]
    assert when.tolist() == days[: len(stages)].tolist()


def test_current_stage_thresholds() -> None:
    order_stage = np.array([0, 1, 4, 4, 2])
    dormant_on = np.array([0, 100, 100, 100, 500])
    churned_on = np.array([0, 200, 200, 200, 900])
    deleted = np.array([False, False, False, False, True])
    assert current_stages(order_stage, dormant_on, churned_on, deleted, 150) == [
        "prospect", "dormant", "dormant", "dormant", "churned",
    ]  # fmt: skip
    assert current_stages(order_stage, dormant_on, churned_on, deleted, 99)[:3] == [
        "prospect", "first_order", "loyal",
    ]  # fmt: skip
