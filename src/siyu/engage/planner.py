"""Planning messages into the outbox, through the governor, for whole batches at once.

A caller (a campaign, a journey, a welcome) hands over batches: one source step, channel,
content and validity window for many customers (or WeCom groups). Each message gets its
idempotency key (source + recipient + channel + slot); a key already in the outbox is left
alone, so planning is repeatable. Then, set-based: unknown or merged customers, missing
consent and missing addresses suppress a message with the reason; service messages go at once;
everything else is placed by the slot finder or suppressed with the rule that left no slot.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from siyu.engage import store
from siyu.engage.content import Content
from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.governor import consent, reads
from siyu.engage.governor.horizon import Horizon
from siyu.engage.governor.placement import Candidates, place
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.governor.stored import effective_policy
from siyu.engage.store import OutboxColumns
from siyu.engage.tables import CHANNELS

Int = NDArray[np.int64]
ADDRESS_KINDS = {"sms": "phone", "email": "email"}


@dataclass(frozen=True, slots=True)
class PlanBatch:
    source: str  # "campaign:12:variant:a", "journey:3:step:2", "welcome"
    channel: str
    slot: str  # the source's slot label, e.g. the send date: part of the idempotency key
    content: Content
    not_before: datetime
    expires_at: datetime
    customer_ids: Sequence[int] | Int = ()
    group_chat_ids: Sequence[str] = ()  # WeCom customer groups (chat_type group)
    purpose: str = "marketing"
    sender: str | None = None  # a WeCom staff userid; default: the customer's latest contact
    release: bool = True  # False: rows stay `planned` (holding their slots) until released


@dataclass
class PlanReport:
    requested: int = 0
    already_planned: int = 0
    queued: int = 0
    planned: int = 0
    deferred: int = 0  # queued or planned for later than their window's start (caps, hours)
    suppressed: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # governor / write seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "already_planned": self.already_planned,
            "queued": self.queued,
            "planned": self.planned,
            "deferred": self.deferred,
            "suppressed": dict(self.suppressed),
            "seconds": round(self.seconds, 3),
            "timings": {name: round(value, 3) for name, value in self.timings.items()},
        }


def idempotency_key(source: str, recipient: str, channel: str, slot: str) -> str:
    return f"{source}|{recipient}|{channel}|{slot}"


def plan(
    session: Session,
    batches: Sequence[PlanBatch],
    *,
    policy: ContactPolicy,
    now: datetime,
    dry_run: bool = False,
) -> PlanReport:
    """Plan the batches; `dry_run` computes the same report (what the governor would do) and
    writes nothing (no contents, no outbox rows)."""
    started = time.perf_counter()
    policy = effective_policy(session, policy)  # the console's settings win
    for batch in batches:
        _check(batch, policy)
    messages = _Messages.of(batches)
    report = PlanReport(requested=messages.size)
    fresh = messages.drop_known(session, batches)
    report.already_planned = report.requested - fresh.size
    if fresh.size:
        if not dry_run:
            store.store_contents(session, [batch.content for batch in batches])
        governed = time.perf_counter()
        _govern(session, fresh, batches, policy=policy, now=now)
        written = time.perf_counter()
        if dry_run:
            counts = Counter(fresh.state.tolist())
        else:
            counts = store.bulk_insert_messages(session, fresh.columns(batches, now))
        report.deferred = _deferred(fresh, batches, now)
        report.timings = {
            "governor": written - governed,
            "write": time.perf_counter() - written,
        }
        report.queued, report.planned = counts.get("queued", 0), counts.get("planned", 0)
        report.suppressed = Counter(fresh.reason[fresh.state == "suppressed"].tolist())
    report.seconds = time.perf_counter() - started
    return report


def _deferred(messages: _Messages, batches: Sequence[PlanBatch], now: datetime) -> int:
    start = np.array([_utc64(max(now, b.not_before)) for b in batches])[messages.batch]
    waiting = messages.state != "suppressed"
    return int(np.count_nonzero(waiting & (messages.scheduled > start)))


def _check(batch: PlanBatch, policy: ContactPolicy) -> None:
    consent.check_channel_purpose(batch.channel, batch.purpose)
    if batch.expires_at <= batch.not_before:
        raise EngageError(
            EngageErrorCode.INVALID_WINDOW, f"{batch.source}: expires_at must follow not_before"
        )
    if batch.expires_at - batch.not_before > timedelta(days=policy.max_window_days):
        raise EngageError(
            EngageErrorCode.INVALID_WINDOW,
            f"{batch.source}: a validity window is at most {policy.max_window_days} days",
        )
    if batch.group_chat_ids and batch.channel != "wecom":
        raise EngageError(
            EngageErrorCode.INVALID_REQUEST, "group messages go through the wecom channel only"
        )
    if batch.channel == "sms" and not batch.content.template_code:
        raise EngageError(
            EngageErrorCode.INVALID_REQUEST, f"{batch.source}: SMS content needs a template_code"
        )


class _Messages:
    """The requested messages as parallel arrays, with their verdicts filled in."""

    def __init__(self, batch: Int, customer: Int, chat: NDArray[Any], key: NDArray[Any]) -> None:
        self.batch, self.customer, self.chat, self.key = batch, customer, chat, key
        self.size = batch.size
        self.state = np.full(self.size, "queued", dtype=object)
        self.reason = np.full(self.size, None, dtype=object)
        self.sender = np.full(self.size, None, dtype=object)
        self.scheduled = np.full(self.size, np.datetime64("NaT"), dtype="datetime64[us]")

    @classmethod
    def of(cls, batches: Sequence[PlanBatch]) -> _Messages:
        parts, customers, chats, keys = [], [], [], []
        for number, batch in enumerate(batches):
            ids = np.asarray(batch.customer_ids, dtype=np.int64)
            parts.append(np.full(ids.size + len(batch.group_chat_ids), number, dtype=np.int64))
            customers += [ids, np.full(len(batch.group_chat_ids), -1, dtype=np.int64)]
            chats += [""] * ids.size + list(batch.group_chat_ids)
            head, tail = f"{batch.source}|", f"|{batch.channel}|{batch.slot}"
            keys += [f"{head}c{c}{tail}" for c in ids.tolist()]
            keys += [f"{head}chat:{g}{tail}" for g in batch.group_chat_ids]
        empty = np.zeros(0, dtype=np.int64)
        return cls(
            np.concatenate(parts) if parts else empty,
            np.concatenate(customers) if customers else empty,
            np.array(chats, dtype=object),
            np.array(keys, dtype=object),
        )

    def take(self, chosen: Int) -> _Messages:
        return _Messages(
            self.batch[chosen], self.customer[chosen], self.chat[chosen], self.key[chosen]
        )

    def drop_known(self, session: Session, batches: Sequence[PlanBatch]) -> _Messages:
        """Without keys already in the outbox (or repeated in this request)."""
        known: set[str] = set()
        for source in sorted({batch.source for batch in batches}):
            known.update(reads.keys_of_source(session, source))
        first: dict[str, int] = {}
        for index, key in enumerate(self.key.tolist()):
            if key not in known:
                first.setdefault(key, index)
        return self.take(np.fromiter(first.values(), dtype=np.int64, count=len(first)))

    def suppress(self, mask: NDArray[np.bool_], reason: str) -> None:
        mask = mask & (self.state != "suppressed")
        self.state[mask] = "suppressed"
        self.reason[mask] = reason

    def columns(self, batches: Sequence[PlanBatch], now: datetime) -> OutboxColumns:
        recipient = np.full(self.size, None, dtype=object)
        grouped = self.chat != ""
        recipient[grouped] = ["chat:" + chat for chat in self.chat[grouped].tolist()]
        return OutboxColumns(
            rows={
                "idempotency_key": self.key,
                "batch": self.batch,
                "customer_id": np.maximum(self.customer, 0),
                "recipient": recipient,
                "sender": self.sender,
                "state": self.state,
                "reason": self.reason,
                "scheduled_at": self.scheduled,
            },
            batches=[
                {
                    "source": b.source,
                    "channel": b.channel,
                    "purpose": b.purpose,
                    "slot": b.slot,
                    "content_hash": b.content.content_hash,
                    "not_before": b.not_before,
                    "expires_at": b.expires_at,
                }
                for b in batches
            ],
            now=now,
        )


def _utc64(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def _govern(
    session: Session,
    messages: _Messages,
    batches: Sequence[PlanBatch],
    *,
    policy: ContactPolicy,
    now: datetime,
) -> None:
    channel = np.array([b.channel for b in batches], dtype=object)[messages.batch]
    purpose = np.array([b.purpose for b in batches], dtype=object)[messages.batch]
    _check_customers(session, messages)
    _check_consent(session, messages, channel, purpose)
    _check_addresses(session, messages, batches, channel)
    start = np.array([_utc64(max(now, b.not_before)) for b in batches])[messages.batch]
    service = (purpose == "service") & (messages.state != "suppressed")
    messages.scheduled[service] = start[service]
    capped = np.flatnonzero(~service & (messages.state != "suppressed"))
    if capped.size:
        _place(session, messages, batches, capped, policy=policy, now=now)
        placed = capped[~np.isnat(messages.scheduled[capped])]
        messages.scheduled[placed] = np.maximum(messages.scheduled[placed], start[placed])
    hold = np.array([not b.release for b in batches], dtype=bool)[messages.batch]
    messages.state[hold & (messages.state == "queued")] = "planned"


def _check_customers(session: Session, messages: _Messages) -> None:
    people = messages.customer[messages.customer > 0]
    if people.size == 0:
        return
    known = reads.customer_ids(session, people)
    unknown = people[~reads.has(known, people)]
    if unknown.size:
        raise EngageError(
            EngageErrorCode.UNKNOWN_CUSTOMER, f"unknown customer ids: {unknown[:10].tolist()}"
        )
    merged = reads.merged_customers(session)
    messages.suppress(reads.has(merged, messages.customer), "customer was merged into another")


def _check_consent(
    session: Session, messages: _Messages, channel: NDArray[Any], purpose: NDArray[Any]
) -> None:
    """Suppress the messages without consent, one pass per (channel, purpose) pair (not per
    batch: a personalised campaign has a batch per distinct text)."""
    people = messages.customer > 0
    if not people.any():
        return
    chosen_people = messages.customer[people]
    large = chosen_people.size > reads.LARGE
    rows = consent.load_consents(session, None if large else chosen_people.tolist())
    pairs = set(zip(channel[people].tolist(), purpose[people].tolist(), strict=True))
    for channel_name, purpose_name in sorted(pairs):
        chosen = np.flatnonzero(people & (channel == channel_name) & (purpose == purpose_name))
        granted = consent.allowed(rows, messages.customer[chosen], channel_name, purpose_name)
        refused = np.zeros(messages.size, dtype=bool)
        refused[chosen[~granted]] = True
        messages.suppress(refused, f"no consent for {purpose_name} by {channel_name}")


def _check_addresses(
    session: Session, messages: _Messages, batches: Sequence[PlanBatch], channel: NDArray[Any]
) -> None:
    people = messages.customer > 0
    for name, kind in ADDRESS_KINDS.items():
        chosen = people & (channel == name)
        if chosen.any():
            holders = reads.customers_with_identity(session, kind, messages.customer[chosen])
            messages.suppress(chosen & ~reads.has(holders, messages.customer), f"no {kind}")
    single = people & (channel == "wecom")
    if single.any():
        customers, senders = reads.wecom_senders(session, messages.customer[single])
        found = reads.lookup(customers, np.array(senders, dtype=object), messages.customer, None)
        explicit = np.array([b.sender for b in batches], dtype=object)[messages.batch]
        chosen_sender = found.astype(object)
        given = explicit != None  # noqa: E711
        chosen_sender[given] = explicit[given]
        messages.sender[single] = chosen_sender[single]
        messages.suppress(single & (found == None), "no active WeCom contact")  # noqa: E711
    groups = np.flatnonzero(messages.customer < 0)
    if groups.size:
        owners = reads.group_owners(session, messages.chat[groups].tolist())
        messages.sender[groups] = [owners.get(chat) for chat in messages.chat[groups].tolist()]
        no_group = (messages.customer < 0) & (messages.sender == None)  # noqa: E711
        messages.suppress(no_group, "no such live customer group")


def _place(
    session: Session,
    messages: _Messages,
    batches: Sequence[PlanBatch],
    capped: Int,
    *,
    policy: ContactPolicy,
    now: datetime,
) -> None:
    chosen_batches = np.unique(messages.batch[capped]).tolist()
    start = min(max(now, batches[b].not_before) for b in chosen_batches)
    end = max(batches[b].expires_at for b in chosen_batches)
    wecom = any(batches[b].channel == "wecom" for b in chosen_batches)
    horizon = Horizon.covering(start, end, policy.zone, quota_periods=wecom)
    earliest = np.array([horizon.minute(max(now, b.not_before), round_up=False) for b in batches])
    latest = np.array([horizon.minute(b.expires_at, round_up=True) for b in batches])
    batch = messages.batch[capped]
    numbers = {h: n for n, h in enumerate(dict.fromkeys(b.content.content_hash for b in batches))}
    hashes = list(numbers)
    content_of = np.array([numbers[b.content.content_hash] for b in batches], dtype=np.int64)
    chat = messages.chat[capped].astype(str)
    chats, chat_index = np.unique(chat[chat != ""], return_inverse=True)
    recipient = messages.customer[capped].copy()
    recipient[chat != ""] = -(chat_index.astype(np.int64) + 1)
    known, best = reads.best_hours(session, recipient[recipient > 0])
    default = -1 if policy.default_hour is None else policy.default_hour
    placement = place(
        session,
        Candidates(
            recipient=recipient,
            groups=chats.tolist(),
            channel=np.array([CHANNELS.index(b.channel) for b in batches], dtype=np.int64)[batch],
            content=content_of[batch],
            hashes=hashes,
            sender=messages.sender[capped],
            earliest=earliest[batch].astype(np.int64),
            latest=latest[batch].astype(np.int64),
            preferred_hour=reads.lookup(known, best, recipient, default).astype(np.int64),
        ),
        policy=policy,
        horizon=horizon,
    )
    placed = placement.minute >= 0
    messages.scheduled[capped[placed]] = horizon.to_utc(placement.minute[placed])
    reasons = np.array(placement.reason, dtype=object)
    messages.state[capped[~placed]] = "suppressed"
    messages.reason[capped[~placed]] = reasons[~placed]
