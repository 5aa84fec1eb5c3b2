from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.engage.holdout import hashed_holdout, stratified_holdout

STAGES = ("first_order", "second_order", "loyal", "dormant")


@settings(max_examples=60, deadline=None)
@given(
    stages=st.lists(st.sampled_from(STAGES), min_size=1, max_size=300),
    share=st.floats(min_value=0.0, max_value=0.9),
    seed=st.integers(min_value=0, max_value=2**40),
)
def test_each_stratum_is_within_one_customer_of_its_share(
    stages: list[str], share: float, seed: int
) -> None:
    ids = np.arange(1000, 1000 + len(stages))
    held = stratified_holdout(ids, stages, share=share, seed=seed)
    labels = np.asarray(stages)
    for stage in set(stages):
        in_stratum = labels == stage
        assert abs(held[in_stratum].sum() - in_stratum.sum() * share) < 1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), data=st.data())
def test_the_draw_does_not_depend_on_the_order_of_the_audience(
    seed: int, data: st.DataObject
) -> None:
    ids = np.arange(1, 201)
    stages = [STAGES[i % 3] for i in range(200)]
    order = np.asarray(data.draw(st.permutations(list(range(200)))))
    first = stratified_holdout(ids, stages, share=0.2, seed=seed)
    second = stratified_holdout(ids[order], [stages[i] for i in order], share=0.2, seed=seed)
    assert set(ids[first].tolist()) == set(ids[order][second].tolist())


def test_different_seeds_draw_different_groups_and_the_mean_share_is_right() -> None:
    ids = np.arange(1, 10_001)
    stages = ["loyal"] * 10_000
    first = stratified_holdout(ids, stages, share=0.1, seed=1)
    second = stratified_holdout(ids, stages, share=0.1, seed=2)
    assert first.sum() == second.sum() == 1_000
    assert (first & second).sum() < 200  # about 100 expected by chance
    hashed = hashed_holdout(ids, share=0.1, seed=7)
    assert 900 < hashed.sum() < 1_100
    assert (hashed_holdout(ids[::-1], share=0.1, seed=7)[::-1] == hashed).all()


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="below 1"):
        stratified_holdout([1], ["new"], share=1.0, seed=0)
    with pytest.raises(ValueError, match="at least 0"):
        hashed_holdout([1], share=-0.1, seed=0)
