"""The outbox worker: claim due messages, check them again, send them, record what happened.

One batch = three steps. (1) Claim (one transaction, with the governor's recheck). (2) Resolve
addresses and call the channels, outside any transaction, each call with a timeout; the
idempotency key travels with the message. Transactional channels (console) write in step 3
instead. (3) Record the outcomes (one transaction): a row changes only if this worker still
holds its claim; every attempt is kept. A crash between the steps leaves the claimed rows in
`sending` until their lease ends; the next claim takes them over and sends again with the same
key, so the receiver can drop the copy, and the console channel — written together with the
state change — delivers exactly once.
"""

from __future__ import annotations

import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, func, update
from sqlalchemy.orm import Session

from siyu.db.engine import job_transaction
from siyu.engage.addresses import resolve
from siyu.engage.channels.base import Channel, Outcome, Status
from siyu.engage.claim import OUTBOX, Claimed, claim
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.governor.recheck import Verdict, recheck
from siyu.engage.governor.stored import effective_policy
from siyu.engage.outcomes import write_attempts, write_changes
from siyu.engage.wecom.followup import record_tasks

Clock = Callable[[], datetime]


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    name: str = field(default_factory=default_name)
    batch: int = 200
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    max_attempts: int = 6
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    sweep_seconds: float = 60.0


@dataclass
class WorkerReport:
    batches: int = 0
    claimed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, other: WorkerReport) -> None:
        self.batches += other.batches
        self.claimed += other.claimed
        self.outcomes.update(other.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {"batches": self.batches, "claimed": self.claimed, **dict(self.outcomes)}


class Worker:
    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        *,
        policy: ContactPolicy,
        options: WorkerOptions,
        clock: Clock = lambda: datetime.now(UTC),
        jobs: Callable[[datetime], object] | None = None,
    ) -> None:
        self.engine = engine
        self.channels = dict(channels)
        self.policy = policy
        self.options = options
        self.clock = clock
        self.jobs = jobs  # runs the due scheduled jobs (it throttles itself)
        self._last_sweep: datetime | None = None

    def run_batch(self) -> WorkerReport:
        now = self.clock()
        self._sweep(now)
        with job_transaction(self.engine) as session:
            claimed = claim(
                session,
                worker=self.options.name,
                channels=sorted(self.channels),
                limit=self.options.batch,
                lease=timedelta(seconds=self.options.lease_seconds),
                now=now,
            )
            policy = effective_policy(session, self.policy)  # the console's settings win
            verdicts = recheck(session, claimed, policy=policy, now=now)
            _apply_verdicts(session, claimed, verdicts, worker=self.options.name, now=now)
            sending = [m for m in claimed if m.id not in verdicts]
            resolved = resolve(session, sending)
        report = WorkerReport(batches=1, claimed=len(claimed))
        report.outcomes.update(v.action for v in verdicts.values())
        outcomes = list(resolved.failures)
        by_channel: dict[str, list[Any]] = {}
        for envelope in resolved.envelopes:
            by_channel.setdefault(envelope.channel, []).append(envelope)
        for name, envelopes in by_channel.items():
            channel = self.channels[name]
            if not channel.transactional:
                outcomes += channel.deliver(envelopes)
        with job_transaction(self.engine) as session:
            for name, envelopes in by_channel.items():
                if self.channels[name].transactional:
                    outcomes += self.channels[name].deliver(envelopes, session=session)
            addresses = {e.message_id: e.address for e in resolved.envelopes}
            states = self._record(session, sending, outcomes, addresses, started=now)
        report.outcomes.update(states)
        return report

    def drain(self) -> WorkerReport:
        """Work until nothing is due now (`siyu worker --once`)."""
        report = WorkerReport()
        while True:
            batch = self.run_batch()
            report.add(batch)
            if batch.claimed == 0:
                break
        if self.jobs is not None:
            self.jobs(self.clock())
        return report

    def run(self, stop: threading.Event) -> WorkerReport:
        """Work until `stop` is set, sleeping `poll_seconds` whenever nothing is due."""
        report = WorkerReport()
        while not stop.is_set():
            batch = self.run_batch()
            report.add(batch)
            if self.jobs is not None:
                self.jobs(self.clock())
            if batch.claimed == 0:
                stop.wait(self.options.poll_seconds)
        return report

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()

    def _sweep(self, now: datetime) -> None:
        """Expire planned and queued messages whose validity window has passed."""
        interval = timedelta(seconds=self.options.sweep_seconds)
        if self._last_sweep is not None and now - self._last_sweep < interval:
            return
        self._last_sweep = now
        with job_transaction(self.engine) as session:
            session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.state.in_(("planned", "queued")), OUTBOX.c.expires_at <= now)
                .values(state="expired", reason="validity window passed before sending")
            )

    def _record(
        self,
        session: Session,
        sending: Sequence[Claimed],
        outcomes: Sequence[Outcome],
        addresses: Mapping[int, str],
        *,
        started: datetime,
    ) -> Counter[str]:
        now = self.clock()
        claimed = {m.id: m for m in sending}
        changes = [self._change(claimed[o.message_id], o, now) for o in outcomes]
        for change, outcome in zip(changes, outcomes, strict=True):
            message = claimed[outcome.message_id]
            if message.channel == "wecom" and message.customer_id is not None:
                change["b_recipient"] = addresses.get(message.id, message.recipient)
        write_changes(session, changes, worker=self.options.name)
        write_attempts(
            session,
            [
                _attempt(
                    claimed[o.message_id], o, change["b_state"], self.options.name, started, now
                )
                for o, change in zip(outcomes, changes, strict=True)
            ],
        )
        record_tasks(session, [(claimed[o.message_id], o) for o in outcomes], now=now)
        return Counter(str(change["b_state"]) for change in changes)

    def _change(self, message: Claimed, outcome: Outcome, now: datetime) -> dict[str, Any]:
        change = {
            "b_id": message.id,
            "b_state": outcome.status.value,
            "b_reason": None,
            "b_next_attempt_at": None,
            "b_sent_at": None,
            "b_delivered_at": None,
            "b_external_id": outcome.external_id,
            "b_claimed_by": self.options.name,
            "b_recipient": message.recipient,
            "b_updated_at": now,
        }
        if outcome.status in (Status.SENT, Status.DELIVERED):
            change["b_sent_at"] = now
            if outcome.status is Status.DELIVERED:
                change["b_delivered_at"] = now
            return change
        change["b_reason"] = f"{outcome.error_kind}: {outcome.detail}"[:300]
        if outcome.status is Status.FAILED:
            return change
        if message.attempts >= self.options.max_attempts:
            change.update(
                b_state="failed",
                b_reason=f"gave up after {message.attempts} attempts: {change['b_reason']}"[:300],
            )
            return change
        delay = min(
            self.options.backoff_max_seconds,
            self.options.backoff_seconds * 2 ** (message.attempts - 1),
        )
        next_at = now + timedelta(seconds=max(delay, outcome.retry_after or 0.0))
        if next_at >= message.expires_at:
            change.update(
                b_state="expired", b_reason=f"retrying past validity: {change['b_reason']}"[:300]
            )
            return change
        change.update(b_state="queued", b_next_attempt_at=next_at, b_claimed_by=None)
        return change


def _apply_verdicts(
    session: Session,
    claimed: Sequence[Claimed],
    verdicts: Mapping[int, Verdict],
    *,
    worker: str,
    now: datetime,
) -> None:
    if not verdicts:
        return
    state = {"expire": "expired", "suppress": "suppressed", "reschedule": "queued"}
    rows = [
        {
            "b_id": v.message_id,
            "b_state": state[v.action],
            "b_reason": v.reason,
            "b_next_attempt_at": v.next_at,
            "b_scheduled_at": v.next_at,
        }
        for v in verdicts.values()
    ]
    session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            reason=bindparam("b_reason"),
            next_attempt_at=bindparam("b_next_attempt_at"),
            scheduled_at=func.coalesce(
                bindparam("b_scheduled_at", type_=OUTBOX.c.scheduled_at.type),
                OUTBOX.c.scheduled_at,
            ),
            claimed_by=None,
            attempts=OUTBOX.c.attempts - 1,  # a governor decision is not a delivery attempt
            updated_at=now,
        ),
        rows,
    )
    by_id = {m.id: m for m in claimed}
    write_attempts(
        session,
        [
            {
                "message_id": v.message_id,
                "attempt": by_id[v.message_id].attempts,
                "worker": worker,
                "outcome": v.action,
                "error_kind": "governor",
                "detail": v.reason,
                "started_at": now,
                "finished_at": now,
            }
            for v in verdicts.values()
        ],
    )


def _attempt(
    message: Claimed, outcome: Outcome, state: str, worker: str, started: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "attempt": message.attempts,
        "worker": worker,
        "outcome": state if outcome.status is Status.RETRY else outcome.status.value,
        "error_kind": outcome.error_kind,
        "detail": outcome.detail[:500],
        "started_at": started,
        "finished_at": now,
    }
