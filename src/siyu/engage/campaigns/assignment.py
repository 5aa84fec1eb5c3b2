"""Who is held out and who gets which variant: deterministic for a seed, independent of the
order customers arrive in. Pure numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siyu.engage.holdout import stratified_holdout

Int = NDArray[np.int64]
HOLDOUT = -1  # the arm of a held-out customer; variants are 0, 1, … in the given order


@dataclass(frozen=True, slots=True)
class Arms:
    customer_ids: Int  # sorted ascending
    strata: NDArray[np.object_]
    arm: Int  # HOLDOUT or the variant's index


def variant_counts(size: int, weights: Sequence[int]) -> Int:
    """`size` split in proportion to `weights`, by largest remainder (ties to the first)."""
    share = np.asarray(weights, dtype=np.float64)
    exact = size * share / share.sum()
    counts: Int = np.floor(exact).astype(np.int64)
    left = size - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:left]] += 1
    return counts


def assign_arms(
    customer_ids: Sequence[int] | Int,
    strata: Sequence[str],
    *,
    weights: Sequence[int],
    holdout_share: float,
    seed: int,
) -> Arms:
    """The holdout drawn per stratum (`stratified_holdout`), then the others shuffled with the
    seed and cut into variants of sizes proportional to the weights."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    labels = np.asarray(strata, dtype=object)[order]
    held = stratified_holdout(ids, labels.tolist(), share=holdout_share, seed=seed)
    arm = np.full(ids.size, HOLDOUT, dtype=np.int64)
    treated = np.flatnonzero(~held)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0x7A71])
    shuffled = treated[rng.permutation(treated.size)]
    counts = variant_counts(treated.size, weights)
    arm[shuffled] = np.repeat(np.arange(len(weights), dtype=np.int64), counts)
    return Arms(ids, labels, arm)
