"""Draw transaction logs from the BG/NBD and Gamma-Gamma processes, for tests and benchmarks.

Customer i is born at an integer day d_i, uniform on [0, birth_days), with a first purchase at
d_i. Then (Fader, Hardie & Lee 2005): purchase rate lambda ~ Gamma(r, alpha), dropout probability
p ~ Beta(a, b), and after every repeat purchase the customer leaves with probability p; values
are Gamma(p_spend, nu) with nu ~ Gamma(q, gamma). Times are continuous, in days after day 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.analytics.clv._arrays import FloatArray, IntArray
from siyu.analytics.clv.bgnbd import BgNbdParams
from siyu.analytics.clv.gamma_gamma import GammaGammaParams

_SMALLEST_DROPOUT = 1e-12  # numpy's geometric draw needs p > 0


@dataclass(frozen=True, slots=True)
class SimulatedTransactions:
    """One row per purchase, first purchases included, grouped by customer."""

    customer: IntArray
    time: FloatArray  # days after day 0; floor it for a day number
    value: FloatArray


def _repeat_times(
    rng: np.random.Generator, rate: FloatArray, repeat_limit: IntArray, window: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Owner and offset of each repeat purchase: the first `repeat_limit` Poisson arrivals."""
    arrivals = rng.poisson(rate * window)
    owner = np.repeat(np.arange(rate.size, dtype=np.int64), arrivals)
    uniform = np.sort(owner + rng.random(owner.size)) - owner  # sorted within each owner
    uniform = np.minimum(uniform, 1.0 - 1e-9)  # owner + u may round up to owner + 1
    first = np.cumsum(arrivals) - arrivals
    rank = np.arange(owner.size) - first[owner]
    kept = rank < repeat_limit[owner]
    return owner[kept], uniform[kept] * window[owner[kept]]


def simulate_transactions(
    rng: np.random.Generator,
    n_customers: int,
    purchases: BgNbdParams,
    spend: GammaGammaParams,
    *,
    birth_days: int,
    end_day: int,
) -> SimulatedTransactions:
    """Transactions up to (not including) day `end_day`; `purchases` is in per-day units."""
    birth = rng.integers(0, birth_days, n_customers).astype(np.float64)
    rate = rng.gamma(purchases.r, 1.0 / purchases.alpha, n_customers)
    dropout = np.maximum(rng.beta(purchases.a, purchases.b, n_customers), _SMALLEST_DROPOUT)
    repeat_limit = rng.geometric(dropout).astype(np.int64)
    owner, offset = _repeat_times(rng, rate, repeat_limit, np.maximum(end_day - birth, 0.0))
    customer = np.concatenate([np.arange(n_customers, dtype=np.int64), owner])
    time = np.concatenate([birth, birth[owner] + offset])
    order = np.argsort(customer, kind="stable")
    scale_rate = rng.gamma(spend.q, 1.0 / spend.gamma, n_customers)
    value = rng.gamma(spend.p, 1.0 / scale_rate[customer[order]])
    return SimulatedTransactions(customer[order], time[order], value)
