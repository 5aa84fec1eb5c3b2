"""The slot finder never schedules in quiet hours, never over a cap, never drops silently."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.engage.governor.policy import Cap
from siyu.engage.governor.slots import DAY, Loads, Reason, SlotProblem, find_slots

WECOM = 0
DAYS = 16


@st.composite
def problems(draw: Any) -> tuple[SlotProblem, Loads]:
    quiet_start, quiet_end = draw(st.integers(0, 23)), draw(st.integers(0, 23))
    hours = np.arange(24)
    if quiet_start == quiet_end:
        allowed = np.ones(24, dtype=bool)
    elif quiet_start > quiet_end:
        allowed = ~((hours >= quiet_start) | (hours < quiet_end))
    else:
        allowed = ~((hours >= quiet_start) & (hours < quiet_end))
    count = draw(st.integers(1, 14))
    recipients = draw(st.integers(1, 4))
    recipient = np.array(
        draw(st.lists(st.integers(0, recipients - 1), min_size=count, max_size=count))
    )
    channel = np.array(draw(st.lists(st.integers(0, 2), min_size=count, max_size=count)))
    start = np.array(draw(st.lists(st.integers(6 * DAY, 9 * DAY), min_size=count, max_size=count)))
    length = np.array(draw(st.lists(st.integers(30, 4 * DAY), min_size=count, max_size=count)))
    preferred = np.array(draw(st.lists(st.integers(-1, 23), min_size=count, max_size=count)))
    staff = np.where(channel == WECOM, draw(st.sampled_from([-1, 0, 1])), -1)
    content = np.array(draw(st.lists(st.integers(0, 2), min_size=count, max_size=count)))
    loads = Loads(
        total=np.array(
            draw(
                st.lists(st.integers(0, 1), min_size=recipients * DAYS, max_size=recipients * DAYS)
            ),
            dtype=np.int32,
        ).reshape(recipients, DAYS),
        channel={
            WECOM: np.zeros((recipients, DAYS), dtype=np.int32),
            1: np.zeros((recipients, DAYS), dtype=np.int32),
        },
        staff=np.array(
            draw(st.lists(st.integers(0, 2), min_size=2 * DAYS, max_size=2 * DAYS)), dtype=np.int32
        ).reshape(2, DAYS),
    )
    problem = SlotProblem(
        days=DAYS,
        allowed_hours=allowed,
        recipient=recipient.astype(np.int64),
        channel=channel.astype(np.int64),
        earliest=start.astype(np.int64),
        latest=(start + length).astype(np.int64),
        preferred_hour=preferred.astype(np.int64),
        staff=staff.astype(np.int64),
        content_group=(recipient * 3 + content).astype(np.int64),
        repeat_minutes=draw(st.sampled_from([0, DAY, 3 * DAY])),
        all_cap=Cap(draw(st.integers(1, 3)), draw(st.integers(1, 5))),
        channel_caps={1: Cap(1, draw(st.integers(1, 3)))},
        quota_channel=WECOM,
        quota_period=np.arange(DAYS) // 7,
        quota_cap=np.array([draw(st.integers(1, 4)) for _ in range(3)]),
        staff_limit=draw(st.integers(1, 3)),
        loads=loads,
    )
    initial = Loads(
        total=loads.total.copy(),
        channel={k: v.copy() for k, v in loads.channel.items()},
        staff=loads.staff.copy(),
    )
    return problem, initial


def week_sums(load: np.ndarray, day: int) -> list[int]:
    return [int(load[max(0, end - 6) : end + 1].sum()) for end in range(day, min(day + 7, DAYS))]


@settings(max_examples=300, deadline=None)
@given(problems())
def test_slots_respect_every_rule(case: tuple[SlotProblem, Loads]) -> None:
    problem, initial = case
    result = find_slots(problem)
    total = initial.total.copy()
    per_channel = {k: v.copy() for k, v in initial.channel.items()}
    staff = initial.staff.copy()
    placed = np.flatnonzero(result.minute >= 0)
    for index in placed.tolist():
        minute, who, channel = (
            int(result.minute[index]),
            problem.recipient[index],
            problem.channel[index],
        )
        day = minute // DAY
        assert problem.earliest[index] <= minute < problem.latest[index]
        assert problem.allowed_hours[(minute % DAY) // 60], "scheduled in quiet hours"
        total[who, day] += 1
        if channel in per_channel:
            per_channel[channel][who, day] += 1
        if problem.staff[index] >= 0:
            staff[problem.staff[index], day] += 1
    for index in placed.tolist():
        minute, who, channel = (
            int(result.minute[index]),
            problem.recipient[index],
            problem.channel[index],
        )
        day = minute // DAY
        assert problem.all_cap.per_day is not None
        assert total[who, day] <= problem.all_cap.per_day
        assert max(week_sums(total[who], day)) <= (problem.all_cap.per_week or 0)
        if channel == 1:
            assert per_channel[1][who, day] <= 1
            assert max(week_sums(per_channel[1][who], day)) <= (
                problem.channel_caps[1].per_week or 0
            )
        if channel == WECOM:
            period = problem.quota_period[day]
            used = per_channel[WECOM][who][problem.quota_period == period].sum()
            assert used <= problem.quota_cap[period]
            if problem.staff[index] >= 0:
                assert staff[problem.staff[index], day] <= max(
                    problem.staff_limit, initial.staff[problem.staff[index], day]
                )
    for index in np.flatnonzero(result.minute < 0).tolist():
        assert result.reason[index] != Reason.OK, "dropped without a reason"
    for index in placed.tolist():
        assert result.reason[index] == Reason.OK


@settings(max_examples=200, deadline=None)
@given(problems())
def test_identical_content_is_kept_apart(case: tuple[SlotProblem, Loads]) -> None:
    problem, _ = case
    result = find_slots(problem)
    by_group: dict[int, list[int]] = {}
    for index in np.flatnonzero(result.minute >= 0).tolist():
        by_group.setdefault(int(problem.content_group[index]), []).append(int(result.minute[index]))
    for minutes in by_group.values():
        minutes.sort()
        assert all(b - a >= problem.repeat_minutes for a, b in itertools.pairwise(minutes))
