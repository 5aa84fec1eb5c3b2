"""Applying WeCom callback events to the store (live callbacks and `wecom-events` files).

Events are de-duplicated on their key (stored in `wecom_callback_events`), then applied in
CreateTime order. Contact events resolve the customer by external_userid (creating one when
new) and fold into the staff–customer edge in `wecom_contacts`: an add makes it active; the
member deleting the customer sets `removed_by='staff'`, the customer deleting the member sets
`removed_by='customer'` (the churn signal). An event older than what the edge already records
does not undo it. Every touched customer is marked changed for the next refresh. Group events
record creation and dismissal; tag events are stored for the tag sync.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroup, WecomContact
from siyu.customers.changes import mark_changed
from siyu.customers.keys import IdentityKey
from siyu.customers.resolve import Incoming, Resolver
from siyu.db.base import table_of
from siyu.engage import store
from siyu.engage.content import Content
from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.tables import WecomCallbackEvent
from siyu.engage.wecom.events import (
    CHAT_EVENT,
    CONTACT_ADDED,
    CONTACT_EVENT,
    REMOVED_BY,
    CallbackEvent,
    event_from_fields,
)
from siyu.ingest.load_wecom import ensure_staff

WELCOME_SECONDS = 20
EDGE_FIELDS = ("customer_id", "added_at", "state", "removed_at", "removed_by")


@dataclass
class CallbackCounts:
    received: int = 0
    duplicates: int = 0
    contacts_added: int = 0
    removed_by_customer: int = 0
    removed_by_staff: int = 0
    customers_created: int = 0
    groups_changed: int = 0
    welcomes_planned: int = 0

    def add(self, other: CallbackCounts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def apply_callback_events(
    session: Session,
    events: Sequence[CallbackEvent],
    *,
    now: datetime | None = None,
    welcome: Content | None = None,
) -> CallbackCounts:
    """Apply decrypted events; a welcome message is planned for a fresh add with a code."""
    counts = CallbackCounts(received=len(events))
    fresh = _record_new(session, events)
    counts.duplicates = len(events) - len(fresh)
    fresh.sort(key=lambda event: event.create_time)
    contacts = [e for e in fresh if e.event == CONTACT_EVENT and e.external_userid and e.user_id]
    customers = _apply_contacts(session, contacts, counts)
    _apply_groups(session, [e for e in fresh if e.event == CHAT_EVENT and e.chat_id], counts)
    if welcome is not None:
        moment = now or datetime.now(UTC)
        for event in contacts:
            if event.change_type in CONTACT_ADDED and event.welcome_code:
                counts.welcomes_planned += _plan_welcome(
                    session, event, customers[event.external_userid], welcome, moment
                )
    return counts


def apply_callback_file(session: Session, path: Path, *, chunk: int = 5_000) -> CallbackCounts:
    """A JSON Lines file of decrypted events (the demo's change_external_contact.jsonl)."""
    counts = CallbackCounts()
    for events in _read_chunks(path, chunk):
        counts.add(apply_callback_events(session, events))
    return counts


def _read_chunks(path: Path, chunk: int) -> Iterator[list[CallbackEvent]]:
    events: list[CallbackEvent] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                events.append(event_from_fields(json.loads(line)))
            except (ValueError, EngageError) as error:
                raise EngageError(
                    EngageErrorCode.BAD_CALLBACK, f"{path.name}:{line_no}: {error}"
                ) from error
            if len(events) >= chunk:
                yield events
                events = []
    if events:
        yield events


def _record_new(session: Session, events: Sequence[CallbackEvent]) -> list[CallbackEvent]:
    unique = {event.dedupe_key: event for event in reversed(events)}  # the first copy wins
    if not unique:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(WecomCallbackEvent)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(WecomCallbackEvent.dedupe_key)
    )
    rows = [
        {
            "dedupe_key": key[:200],
            "event": event.event[:40],
            "change_type": event.change_type[:40],
            "created_at": event.created_at,
            "payload": dict(event.fields),
            "received_at": datetime.now(UTC),
        }
        for key, event in unique.items()
    ]
    new = set(session.scalars(statement, rows))
    return [event for key, event in unique.items() if key[:200] in new]


def _apply_contacts(
    session: Session, events: Sequence[CallbackEvent], counts: CallbackCounts
) -> dict[str, int]:
    if not events:
        return {}
    userids = sorted({e.external_userid for e in events})
    resolved = Resolver(session).resolve(
        [
            Incoming(keys=(IdentityKey("external_userid", "", u),), source="wecom-callback")
            for u in userids
        ]
    )
    counts.customers_created += resolved.new_customers
    customers = {u: c for u, c in zip(userids, resolved.customer_ids, strict=True) if c is not None}
    mark_changed(session, customers.values())
    staff = ensure_staff(session, {e.user_id for e in events})
    edges = _stored_edges(session, {(staff[e.user_id], e.external_userid) for e in events})
    for event in events:
        key = (staff[event.user_id], event.external_userid)
        edge = edges.setdefault(key, {"id": None, **dict.fromkeys(EDGE_FIELDS)})
        _fold(edge, event, customers[event.external_userid], counts)
    _write_edges(session, edges)
    return customers


def _stored_edges(
    session: Session, keys: set[tuple[int, str]]
) -> dict[tuple[int, str], dict[str, Any]]:
    columns = (WecomContact.customer_id, *(getattr(WecomContact, name) for name in EDGE_FIELDS[1:]))
    rows = session.execute(
        select(
            WecomContact.id, WecomContact.staff_id, WecomContact.external_userid, *columns
        ).where(WecomContact.external_userid.in_({userid for _, userid in keys}))
    ).all()
    return {
        (row[1], row[2]): {"id": row[0], **dict(zip(EDGE_FIELDS, row[3:], strict=True))}
        for row in rows
        if (row[1], row[2]) in keys
    }


def _fold(
    edge: dict[str, Any], event: CallbackEvent, customer: int, counts: CallbackCounts
) -> None:
    at = event.created_at
    edge["customer_id"] = customer
    if event.change_type in CONTACT_ADDED:
        if edge["removed_at"] is not None and edge["removed_at"] > at:
            return  # an old add, replayed after a newer removal
        edge.update(added_at=at, state=event.state or None, removed_at=None, removed_by=None)
        edge["changed"] = True
        counts.contacts_added += 1
    elif event.change_type in REMOVED_BY:
        if edge["added_at"] is not None and edge["added_at"] > at:
            return  # an old removal, replayed after a newer add
        edge.update(removed_at=at, removed_by=REMOVED_BY[event.change_type], changed=True)
        if REMOVED_BY[event.change_type] == "customer":
            counts.removed_by_customer += 1
        else:
            counts.removed_by_staff += 1


def _write_edges(session: Session, edges: dict[tuple[int, str], dict[str, Any]]) -> None:
    new, changed = [], []
    for (staff_id, userid), edge in edges.items():
        values = {name: edge[name] for name in EDGE_FIELDS}
        if edge["id"] is None:
            new.append({"staff_id": staff_id, "external_userid": userid, **values})
        elif edge.get("changed"):
            changed.append({"b_id": edge["id"], **{f"b_{k}": v for k, v in values.items()}})
    if new:
        session.execute(insert(WecomContact), new)
    if changed:
        table = table_of(WecomContact)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in EDGE_FIELDS}),
            changed,
        )


def _apply_groups(
    session: Session, events: Sequence[CallbackEvent], counts: CallbackCounts
) -> None:
    for event in events:
        if event.change_type == "dismiss":
            session.execute(
                update(CustomerGroup)
                .where(CustomerGroup.chat_id == event.chat_id)
                .values(dismissed_at=event.created_at)
            )
        elif event.change_type == "create":
            known = session.scalar(
                select(CustomerGroup.id).where(CustomerGroup.chat_id == event.chat_id)
            )
            if known is None:
                session.add(CustomerGroup(chat_id=event.chat_id, created_at=event.created_at))
                session.flush()
        counts.groups_changed += 1


def _plan_welcome(
    session: Session, event: CallbackEvent, customer_id: int, welcome: Content, now: datetime
) -> int:
    expires = event.created_at + timedelta(seconds=WELCOME_SECONDS)
    if now >= expires:
        return 0
    content = Content(
        text=welcome.text,
        subject=welcome.subject,
        link_url=welcome.link_url,
        welcome_code=event.welcome_code,
    )
    store.store_contents(session, [content])
    inserted = store.insert_messages(
        session,
        [
            {
                "idempotency_key": f"welcome|{event.welcome_code}"[:255],
                "source": "welcome",
                "customer_id": customer_id,
                "recipient": event.external_userid,
                "channel": "wecom",
                "purpose": "service",
                "slot": str(event.create_time),
                "content_hash": content.content_hash,
                "sender": event.user_id,
                "state": "queued",
                "reason": None,
                "not_before": now,
                "expires_at": expires,
                "scheduled_at": now,
                "next_attempt_at": now,
            }
        ],
    )
    return sum(inserted.values())
