"""Slot finding: where each message may go, for a whole batch at once (arrays in, arrays out).

Time is counted in local minutes from the first day of the horizon (day 0, local midnight).
Every message has a window [earliest, latest) and a recipient (a customer or a group).
A recipient's messages are placed in rounds, first the first message of every recipient, then
the second…, so a recipient's caps see the messages placed before. In a round, a message goes
to the earliest day that satisfies every rule, at the allowed hour closest to its recipient's
preferred hour:

- the day has an allowed (not quiet) hour inside the window;
- the recipient's messages that day stay within the all-channel and the channel's daily cap,
  and every 7-day window holding the day within the weekly cap (loads include what is already
  planned or sent);
- WeCom: the recipient's receive quota for the period (month, week or day) is not used up, and
  the sender's daily limit is not reached (senders are shared, so a full day bumps the later
  messages to their next day);
- identical content to the same recipient is at least `repeat_minutes` apart.

A message with no such day gets `minute = -1` and the first rule that ruled out every day as
its reason. Nothing is dropped without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from siyu.engage.governor.policy import Cap

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]
DAY = 1440
HOURS = np.arange(24)
FAR = 99


class Reason(IntEnum):
    OK = 0
    WINDOW = 1
    CAP = 2
    CHANNEL_CAP = 3
    WECOM_QUOTA = 4
    STAFF_LIMIT = 5
    REPEAT = 6


REASON_TEXT = {
    Reason.OK: "",
    Reason.WINDOW: "no allowed hour in the validity window (quiet hours)",
    Reason.CAP: "frequency cap (all channels) reached in the validity window",
    Reason.CHANNEL_CAP: "frequency cap for the channel reached in the validity window",
    Reason.WECOM_QUOTA: "WeCom receive quota used up in the validity window",
    Reason.STAFF_LIMIT: "staff member's daily WeCom limit reached in the validity window",
    Reason.REPEAT: "identical content within the repeat window",
}


@dataclass(frozen=True, slots=True)
class Loads:
    """Messages already placed, per recipient (or sender) and day; updated as slots are found."""

    total: NDArray[np.int32]  # (recipients, days)
    channel: Mapping[int, NDArray[np.int32]]  # channel index -> (recipients, days)
    staff: NDArray[np.int32]  # (senders, days)


@dataclass(frozen=True, slots=True)
class SlotProblem:
    days: int
    allowed_hours: Bool  # (24,)
    recipient: Int
    channel: Int
    earliest: Int
    latest: Int
    preferred_hour: Int  # -1: as early as allowed
    staff: Int  # -1: no sender limit
    content_group: Int  # equal for the same content to the same recipient
    repeat_minutes: int
    all_cap: Cap
    channel_caps: Mapping[int, Cap]
    quota_channel: int  # -1: none
    quota_period: Int  # (days,) period index of each day
    quota_cap: Int  # (periods,)
    staff_limit: int
    loads: Loads


@dataclass(frozen=True, slots=True)
class SlotResult:
    minute: Int  # -1: no slot
    reason: NDArray[np.int8]


def find_slots(problem: SlotProblem) -> SlotResult:
    count = problem.recipient.size
    minute = np.full(count, -1, dtype=np.int64)
    reason = np.zeros(count, dtype=np.int8)
    _, group = _unique_inverse(problem.content_group)
    last_placed = np.full(group.size, -1, dtype=np.int64)  # per content group
    for index in _rounds(problem.recipient):
        earliest = problem.earliest[index].copy()
        before = last_placed[group[index]]
        pushed = before >= 0
        earliest[pushed] = np.maximum(earliest[pushed], before[pushed] + problem.repeat_minutes)
        placed, why = _place_round(problem, index, earliest)
        minute[index] = placed
        why[(why == Reason.WINDOW) & pushed] = Reason.REPEAT
        reason[index] = why
        done = placed >= 0
        last_placed[group[index[done]]] = placed[done]
    return SlotResult(minute=minute, reason=reason)


def _rounds(recipient: Int) -> list[Int]:
    """Message indices by their rank among their recipient's messages (input order)."""
    order = np.argsort(recipient, kind="stable")
    ordered = recipient[order]
    starts = np.ones(order.size, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))
    rank = np.arange(order.size) - first
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(1, int(rank.max(initial=0)) + 1))
    return [order[part] for part in np.split(by_rank, bounds) if part.size]


def _place_round(problem: SlotProblem, index: Int, earliest: Int) -> tuple[Int, NDArray[np.int8]]:
    latest = problem.latest[index]
    recipient = problem.recipient[index]
    channel = problem.channel[index]
    feasible = _window(problem, earliest, latest)
    reason = np.where(feasible.any(axis=1), Reason.OK, Reason.WINDOW).astype(np.int8)
    feasible &= _cap_ok(problem.loads.total[recipient], problem.all_cap)
    _blame(reason, feasible, Reason.CAP)
    for number, cap in problem.channel_caps.items():
        rows = np.flatnonzero(channel == number)
        feasible[rows] &= _cap_ok(problem.loads.channel[number][recipient[rows]], cap)
    _blame(reason, feasible, Reason.CHANNEL_CAP)
    if problem.quota_channel >= 0:
        rows = np.flatnonzero(channel == problem.quota_channel)
        feasible[rows] &= _quota_ok(problem, recipient[rows])
        _blame(reason, feasible, Reason.WECOM_QUOTA)
    day = _choose_days(problem, index, feasible)
    _blame(reason, feasible, Reason.STAFF_LIMIT)
    placed = day >= 0
    _add_load(problem, recipient[placed], channel[placed], day[placed])
    minute = np.full(index.size, -1, dtype=np.int64)
    minute[placed] = _choose_minutes(
        problem, day[placed], earliest[placed], latest[placed], index[placed]
    )
    return minute, reason


def _blame(reason: NDArray[np.int8], feasible: Bool, stage: Reason) -> None:
    reason[(reason == Reason.OK) & ~feasible.any(axis=1)] = stage


def _window(problem: SlotProblem, earliest: Int, latest: Int) -> Bool:
    """(messages, days): the day lies in the window and has an allowed hour inside it."""
    allowed_before = np.concatenate([[0], np.cumsum(problem.allowed_hours)])
    first_day, last_day = earliest // DAY, (latest - 1) // DAY
    low = (earliest % DAY) // 60
    high = (latest - last_day * DAY + 59) // 60
    same = first_day == last_day
    first_ok = np.where(
        same,
        allowed_before[np.clip(high, 0, 24)] > allowed_before[low],
        allowed_before[24] > allowed_before[low],
    )
    last_ok = np.where(same, first_ok, allowed_before[np.clip(high, 0, 24)] > 0)
    days = np.arange(problem.days)
    inside = (days >= first_day[:, None]) & (days <= last_day[:, None])
    rows = np.arange(earliest.size)
    in_horizon = (first_day < problem.days) & (first_day <= last_day)
    inside[rows[in_horizon], first_day[in_horizon]] &= first_ok[in_horizon]
    ends = (last_day < problem.days) & (last_day >= 0)
    inside[rows[ends], last_day[ends]] &= last_ok[ends]
    if not problem.allowed_hours.any():
        inside[:] = False
    return inside


def _cap_ok(load: NDArray[np.int32], cap: Cap) -> Bool:
    """Days where one more message keeps the recipient within the cap. Only recipients with
    messages nearby need the window arithmetic; for the others any day is free."""
    limits = [limit for limit in (cap.per_day, cap.per_week) if limit is not None]
    ok = np.full(load.shape, min(limits, default=1) > 0, dtype=bool)
    busy = np.flatnonzero(load.any(axis=1))
    if busy.size == 0 or not limits:
        return ok
    part = load[busy]
    fits = np.ones(part.shape, dtype=bool)
    if cap.per_day is not None:
        fits &= part < cap.per_day
    if cap.per_week is not None:
        fits &= _week_peak(part) < cap.per_week
    ok[busy] = fits
    return ok


def _week_peak(load: NDArray[np.int32]) -> NDArray[np.int32]:
    """For each day, the largest load of any 7-day window that contains it."""
    days = load.shape[1]
    running = np.zeros((load.shape[0], days + 1), dtype=np.int32)
    np.cumsum(load, axis=1, out=running[:, 1:])
    ends = np.arange(days)
    window = running[:, ends + 1] - running[:, np.maximum(ends - 6, 0)]
    peak = window.copy()
    for shift in range(1, 7):
        if shift < days:
            np.maximum(peak[:, :-shift], window[:, shift:], out=peak[:, :-shift])
    return peak


def _quota_ok(problem: SlotProblem, recipient: Int) -> Bool:
    load = problem.loads.channel[problem.quota_channel][recipient]
    if load.shape[0] == 0:
        return np.zeros(load.shape, dtype=bool)
    starts = np.flatnonzero(np.diff(problem.quota_period, prepend=-1))
    used = np.add.reduceat(load, starts, axis=1)
    period = problem.quota_period
    return np.asarray(used[:, period] < problem.quota_cap[period])


def _choose_days(problem: SlotProblem, index: Int, feasible: Bool) -> Int:
    """The first feasible day; senders' daily limits bump the later messages of a full day."""
    day = np.where(feasible.any(axis=1), feasible.argmax(axis=1), -1)
    staff = problem.staff[index]
    flat = problem.loads.staff.reshape(-1)
    settled = np.zeros(index.size, dtype=bool)
    while True:
        rows = np.flatnonzero((day >= 0) & (staff >= 0) & ~settled)
        if rows.size == 0:
            return day
        keys = staff[rows] * problem.days + day[rows]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.ones(order.size, dtype=bool)
        starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
        first = np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))
        fits = np.arange(order.size) - first < problem.staff_limit - flat[sorted_keys]
        accepted = rows[order[fits]]
        np.add.at(flat, keys[order[fits]], 1)
        settled[accepted] = True
        bumped = rows[order[~fits]]
        if bumped.size == 0:
            return day
        full = problem.loads.staff[staff[bumped]] >= problem.staff_limit
        feasible[bumped] &= ~full
        day[bumped] = np.where(feasible[bumped].any(axis=1), feasible[bumped].argmax(axis=1), -1)


def _add_load(problem: SlotProblem, recipient: Int, channel: Int, day: Int) -> None:
    problem.loads.total[recipient, day] += 1  # one message per recipient per round
    for number, load in problem.loads.channel.items():
        rows = channel == number
        load[recipient[rows], day[rows]] += 1


def _choose_minutes(problem: SlotProblem, day: Int, earliest: Int, latest: Int, index: Int) -> Int:
    """The allowed hour of `day` closest to the preferred hour, computed once per distinct
    (day, first hour, end hour, preferred hour): a batch has few of them."""
    first_day, last_day = earliest // DAY, (latest - 1) // DAY
    low = np.where(day == first_day, (earliest % DAY) // 60, 0)
    high = np.where(day == last_day, (latest - last_day * DAY + 59) // 60, 24)
    preferred = problem.preferred_hour[index]
    key = ((day * 25 + low) * 25 + high) * 25 + (preferred + 1)
    distinct, inverse = _unique_inverse(key)
    u_low = (distinct // 625) % 25
    u_high = (distinct // 25) % 25
    u_preferred = distinct % 25 - 1
    candidate = (
        problem.allowed_hours[None, :]
        & (HOURS[None, :] >= u_low[:, None])
        & (HOURS[None, :] < u_high[:, None])
    )
    distance = np.where(
        u_preferred[:, None] >= 0, np.abs(HOURS[None, :] - u_preferred[:, None]), HOURS[None, :]
    )
    hour = np.where(candidate, distance, FAR).argmin(axis=1)[inverse]
    return np.asarray(np.maximum(day * DAY + hour * 60, earliest), dtype=np.int64)


def _unique_inverse(values: Int) -> tuple[Int, Int]:
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.ones(values.size, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(values.size, dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return np.asarray(ordered[starts], dtype=np.int64), inverse
