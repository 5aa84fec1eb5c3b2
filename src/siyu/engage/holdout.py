"""Holdout (control) groups for campaigns and journeys: who is *not* contacted, so that what the
contacted customers did can be compared with what they would have done anyway.

Two ways to draw, both deterministic for a given seed and independent of input order:

- `stratified_holdout` for an audience known at once (a campaign): within each stratum
  (lifecycle stage, say) the holdout is a uniformly random subset whose size is the stratum's
  share rounded at random (so the expected share is exact and each stratum is within one
  customer of it).
- `hashed_holdout` for customers who arrive one at a time (a journey's enrolments): a customer is
  held out when a hash of (seed, customer id) falls below the share. Unbiased within every
  stratum, balanced only on average.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]
DEFAULT_SHARE = 0.10


def check_share(share: float) -> float:
    if not 0.0 <= share < 1.0:
        raise ValueError(f"a holdout share must be at least 0 and below 1, not {share}")
    return share


def stratified_holdout(
    customer_ids: Sequence[int] | Int, strata: Sequence[str], *, share: float, seed: int
) -> Bool:
    """A mask over `customer_ids`: True for the customers held out."""
    check_share(share)
    ids = np.asarray(customer_ids, dtype=np.int64)
    if len(strata) != len(ids):
        raise ValueError(f"{len(ids)} customers but {len(strata)} strata")
    held = np.zeros(len(ids), dtype=np.bool_)
    labels = np.asarray(strata, dtype=object)
    for stratum in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == stratum)
        members = members[np.argsort(ids[members], kind="stable")]  # order-independent
        rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(str(stratum).encode())])
        expected = len(members) * share
        size = int(expected) + int(rng.random() < expected - int(expected))
        held[rng.choice(members, size=size, replace=False)] = True
    return held


def hashed_holdout(customer_ids: Sequence[int] | Int, *, share: float, seed: int) -> Bool:
    """A mask over `customer_ids`: True where hash(seed, id) / 2^64 < share."""
    check_share(share)
    return np.fromiter(
        (_unit(seed, int(cid)) < share for cid in customer_ids),
        dtype=np.bool_,
        count=len(customer_ids),
    )


def _unit(seed: int, customer_id: int) -> float:
    digest = hashlib.blake2b(f"{seed}:{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64
