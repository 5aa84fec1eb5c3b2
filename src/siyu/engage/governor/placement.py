"""Placing capped messages: read the loads from the store, find the slots, explain refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from siyu.engage.governor import reads
from siyu.engage.governor.horizon import Horizon
from siyu.engage.governor.policy import ContactPolicy, quota_periods
from siyu.engage.governor.slots import REASON_TEXT, Loads, Reason, SlotProblem, find_slots
from siyu.engage.tables import CHANNELS

Int = NDArray[np.int64]
WECOM = CHANNELS.index("wecom")


@dataclass(frozen=True, slots=True)
class Candidates:
    """Messages to place. `recipient` is the customer id, or a negative key for a group whose
    chat id is `groups[-key - 1]`."""

    recipient: Int
    groups: list[str]
    channel: Int  # index into CHANNELS
    content: Int  # index into hashes
    hashes: list[str]
    sender: NDArray[np.object_]  # staff userid or None
    earliest: Int  # local minutes (Horizon)
    latest: Int
    preferred_hour: Int


@dataclass(frozen=True, slots=True)
class Placement:
    minute: Int  # -1: not placed
    reason: list[str]


def place(
    session: Session, candidates: Candidates, *, policy: ContactPolicy, horizon: Horizon
) -> Placement:
    keys, recipient = np.unique(candidates.recipient, return_inverse=True)
    senders = sorted({s for s in candidates.sender.tolist() if s is not None})
    tracked = sorted({WECOM} | {CHANNELS.index(name) for name in policy.channel_caps})
    loads = Loads(
        total=np.zeros((keys.size, horizon.days), dtype=np.int32),
        channel={number: np.zeros((keys.size, horizon.days), dtype=np.int32) for number in tracked},
        staff=np.zeros((len(senders), horizon.days), dtype=np.int32),
    )
    _read_loads(session, loads, keys, candidates.groups, horizon)
    _read_staff_loads(session, loads, senders, horizon)
    earliest, pushed = _after_identical(session, candidates, policy, horizon)
    period, period_cap = quota_periods(policy, horizon.origin, horizon.days)
    problem = SlotProblem(
        days=horizon.days,
        allowed_hours=policy.allowed_hours(),
        recipient=recipient.astype(np.int64),
        channel=candidates.channel,
        earliest=earliest,
        latest=candidates.latest,
        preferred_hour=candidates.preferred_hour,
        staff=_staff_numbers(candidates, senders),
        content_group=recipient.astype(np.int64) * len(candidates.hashes) + candidates.content,
        repeat_minutes=policy.repeat_days * 1440,
        all_cap=policy.all_channels,
        channel_caps={CHANNELS.index(name): cap for name, cap in policy.channel_caps.items()},
        quota_channel=WECOM,
        quota_period=period,
        quota_cap=period_cap,
        staff_limit=policy.staff_daily_limit,
        loads=loads,
    )
    result = find_slots(problem)
    codes = np.where((result.reason == Reason.WINDOW) & pushed, Reason.REPEAT, result.reason)
    return Placement(result.minute, [REASON_TEXT[Reason(code)] for code in codes.tolist()])


def _staff_numbers(candidates: Candidates, senders: list[str]) -> Int:
    """Each 1:1 WeCom message's sender as an index into `senders`; -1 for the rest."""
    number = np.full(candidates.recipient.size, -1, dtype=np.int64)
    chosen = np.flatnonzero((candidates.sender != None) & (candidates.recipient > 0))  # noqa: E711
    if chosen.size:
        names = np.array(senders, dtype=str)
        number[chosen] = np.searchsorted(names, candidates.sender[chosen].astype(str))
    return number


def _read_loads(
    session: Session, loads: Loads, keys: Int, groups: list[str], horizon: Horizon
) -> None:
    found = reads.day_loads(
        session,
        start=horizon.start_utc(),
        end=horizon.end_utc(),
        offset_seconds=horizon.offset_seconds,
    )
    group_key = {f"chat:{chat}": -(number + 1) for number, chat in enumerate(groups)}
    key = found.customer.copy()
    for row, recipient in enumerate(found.recipient):
        if recipient is not None:
            key[row] = group_key.get(recipient, 0)
    position = np.clip(np.searchsorted(keys, key), 0, max(keys.size - 1, 0))
    day = found.day - horizon.epoch_day
    keep = (keys.size > 0) & (keys[position] == key) & (day >= 0) & (day < horizon.days)
    keep &= key != 0
    rows, days, counts = position[keep], day[keep], found.count[keep]
    np.add.at(loads.total, (rows, days), counts)
    channel = found.channel[keep]
    for number, load in loads.channel.items():
        chosen = channel == CHANNELS[number]
        np.add.at(load, (rows[chosen], days[chosen]), counts[chosen])


def _read_staff_loads(session: Session, loads: Loads, senders: list[str], horizon: Horizon) -> None:
    index = {sender: number for number, sender in enumerate(senders)}
    for sender, day, count in reads.staff_loads(
        session,
        start=horizon.start_utc(),
        end=horizon.end_utc(),
        offset_seconds=horizon.offset_seconds,
    ):
        column = day - horizon.epoch_day
        if sender in index and 0 <= column < horizon.days:
            loads.staff[index[sender], column] += count


def _after_identical(
    session: Session, candidates: Candidates, policy: ContactPolicy, horizon: Horizon
) -> tuple[Int, NDArray[np.bool_]]:
    """Earliest minutes moved past identical content already planned or sent."""
    earliest = candidates.earliest.copy()
    pushed = np.zeros(earliest.size, dtype=bool)
    if policy.repeat_days <= 0:
        return earliest, pushed
    since = horizon.start_utc() - timedelta(days=policy.repeat_days)
    found = reads.last_identical(session, hashes=candidates.hashes, since=since)
    if not found:
        return earliest, pushed
    number = {content_hash: index for index, content_hash in enumerate(candidates.hashes)}
    width = len(candidates.hashes)
    keys = np.array([customer * width + number[h] for customer, h, _ in found], dtype=np.int64)
    until = np.array(
        [_minute(horizon, at) + policy.repeat_days * 1440 for _, _, at in found], dtype=np.int64
    )
    order = np.argsort(keys)
    wanted = np.where(
        candidates.recipient > 0, candidates.recipient * width + candidates.content, -1
    )
    later = reads.lookup(keys[order], until[order], wanted, -1).astype(np.int64)
    pushed = later > earliest
    earliest[pushed] = later[pushed]
    return earliest, pushed


def _minute(horizon: Horizon, moment: datetime) -> int:
    return horizon.minute(moment, round_up=False)
