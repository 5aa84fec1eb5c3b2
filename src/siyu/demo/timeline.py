"""What happens to each order after it is placed, and where it stands at the export moment.

Fates (unpaid, refunded in full, partly refunded, and every step's timing) are drawn first,
without knowing the shop. `resolve` then applies what a shop's export can show and reads each
order's status at `now`: recent orders are still paid or shipped, older ones completed; unpaid
ones are pending for a day and closed after.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from siyu.demo.clock import DAY, HOUR, MINUTE, MISSING
from siyu.ingest.records import OrderStatus

UNPAID_SHARE = 0.045
FULL_REFUND_SHARE = 0.05
PARTIAL_REFUND_SHARE = 0.03
EARLY_REFUND_SHARE = 0.4  # full refunds asked for before the parcel leaves
BUYER_CONFIRMS_SHARE = 0.45  # the rest are confirmed automatically
AUTO_CONFIRM = 10 * DAY

STATUSES: tuple[OrderStatus, ...] = tuple(OrderStatus)
Int = NDArray[np.int64]
Bool = NDArray[np.bool_]


class Refund(enum.IntEnum):
    NONE = 0
    FULL = 1
    PARTIAL = 2


def code(status: OrderStatus) -> int:
    return STATUSES.index(status)


@dataclass(frozen=True, slots=True)
class Fates:
    unpaid: Bool
    refund: Int  # Refund
    paid_at: Int
    shipped_at: Int  # MISSING for refunds before shipping
    completed_at: Int  # MISSING for full refunds
    refund_at: Int  # MISSING without a refund
    closed_at: Int  # when an unpaid order closes


def draw_fates(rng: np.random.Generator, ordered_at: Int) -> Fates:
    count = ordered_at.size
    unpaid = rng.random(count) < UNPAID_SHARE
    roll = rng.random(count)
    refund = np.select(
        [unpaid, roll < FULL_REFUND_SHARE, roll < FULL_REFUND_SHARE + PARTIAL_REFUND_SHARE],
        [Refund.NONE, Refund.FULL, Refund.PARTIAL],
        Refund.NONE,
    ).astype(np.int64)
    early = (refund == Refund.FULL) & (rng.random(count) < EARLY_REFUND_SHARE)
    paid_at = ordered_at + 5 + np.minimum(rng.exponential(90, count), 1_800).astype(np.int64)
    shipped = paid_at + np.maximum(HOUR, rng.gamma(2.0, 10 * HOUR, count)).astype(np.int64)
    delivered = shipped + rng.uniform(1 * DAY, 4 * DAY, count).astype(np.int64)
    confirmed = delivered + rng.uniform(2 * HOUR, 3 * DAY, count).astype(np.int64)
    completed = np.where(
        rng.random(count) < BUYER_CONFIRMS_SHARE, confirmed, shipped + AUTO_CONFIRM
    )
    refund_at = np.select(
        [early, refund == Refund.FULL, refund == Refund.PARTIAL],
        [
            paid_at + (rng.uniform(0.2, 0.9, count) * (shipped - paid_at)).astype(np.int64),
            delivered + rng.uniform(1 * DAY, 6 * DAY, count).astype(np.int64),
            completed + rng.uniform(1 * DAY, 10 * DAY, count).astype(np.int64),
        ],
        MISSING,
    )
    return Fates(
        unpaid=unpaid,
        refund=refund,
        paid_at=paid_at,
        shipped_at=np.where(early, MISSING, shipped),
        completed_at=np.where(refund == Refund.FULL, MISSING, completed),
        refund_at=refund_at,
        closed_at=ordered_at + rng.uniform(10 * MINUTE, 24 * HOUR, count).astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class Timeline:
    """Each order at the export moment; times that have not happened yet are MISSING."""

    status: Int  # index into STATUSES
    refund: Int  # Refund, as far as it has happened
    paid_at: Int
    shipped_at: Int
    completed_at: Int
    refunded_at: Int
    closed_at: Int


def resolve(fates: Fates, *, pending_shown: Bool, partial_shown: Bool, now: int) -> Timeline:
    """`pending_shown`: the shop's export lists unpaid open orders (else an order that is still
    unpaid at `now` is taken as paid: such exports list paid orders only). `partial_shown`: the
    export can show a partial refund."""
    unpaid = fates.unpaid & (pending_shown | (fates.closed_at < now))
    refund = np.where((fates.refund == Refund.PARTIAL) & ~partial_shown, Refund.NONE, fates.refund)
    paid_at = np.where(pending_shown, fates.paid_at, np.minimum(fates.paid_at, now - 1))
    paid = ~unpaid & (paid_at < now)
    closed = unpaid & (fates.closed_at < now)
    shipped = paid & _happened(fates.shipped_at, now)
    completed = paid & _happened(fates.completed_at, now)
    refunded = paid & (refund == Refund.FULL) & _happened(fates.refund_at, now)
    partly = completed & (refund == Refund.PARTIAL) & _happened(fates.refund_at, now)
    status = np.select(
        [~paid & ~closed, closed, refunded, partly, completed, shipped],
        [code(s) for s in _ORDERED_STATUSES],
        code(OrderStatus.PAID),
    ).astype(np.int64)
    return Timeline(
        status=status,
        refund=np.select([refunded, partly], [Refund.FULL, Refund.PARTIAL], Refund.NONE),
        paid_at=np.where(paid, paid_at, MISSING),
        shipped_at=np.where(shipped, fates.shipped_at, MISSING),
        completed_at=np.where(completed, fates.completed_at, MISSING),
        refunded_at=np.where(refunded | partly, fates.refund_at, MISSING),
        closed_at=np.where(closed, fates.closed_at, MISSING),
    )


_ORDERED_STATUSES = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.CLOSED,
    OrderStatus.REFUNDED,
    OrderStatus.PARTIALLY_REFUNDED,
    OrderStatus.COMPLETED,
    OrderStatus.SHIPPED,
)


def _happened(moments: Int, now: int) -> Bool:
    happened: Bool = (moments != MISSING) & (moments < now)
    return happened
