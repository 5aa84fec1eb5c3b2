"""Behaviour events (search, view, follow, favourite, cart, share) into the store.

An event with a key nobody has yet creates a customer: a semi-private prospect, known by
behaviour before any order. Each event has a content key, so re-importing adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.customers.changes import mark_changed
from siyu.customers.keys import key_label, key_strength, normalise_key
from siyu.customers.resolve import Incoming, Resolver
from siyu.customers.tables import BehaviourEvent
from siyu.ingest.outcome import LoadCounts, Outcome
from siyu.ingest.records import EventRecord


def load_events(
    session: Session,
    records: Sequence[EventRecord],
    shop_ids: Mapping[int, int | None],
    source_name: str,
) -> LoadCounts:
    counts = LoadCounts()
    incoming = []
    for record in records:
        keys = (normalise_key(key, scope=record.platform or "") for key in record.buyer.keys)
        incoming.append(
            Incoming(
                keys=tuple(key for key in keys if key is not None),
                source=f"{source_name}:{record.line_no}",
                name=record.buyer.name,
            )
        )
    resolved = Resolver(session).resolve(incoming)
    counts.new_customers, counts.merges = resolved.new_customers, resolved.merges
    mark_changed(session, resolved.customer_ids)
    rows = {}
    for record, person, customer_id in zip(records, incoming, resolved.customer_ids, strict=True):
        if customer_id is None:
            continue
        key = _event_key(record, person)
        rows[key] = {
            "customer_id": customer_id,
            "event_type": record.event_type.value,
            "occurred_at": record.occurred_at,
            "item": record.item,
            "category": record.category,
            "shop_id": shop_ids.get(record.line_no),
            "event_key": key,
        }
    stored = set(
        session.scalars(select(BehaviourEvent.event_key).where(BehaviourEvent.event_key.in_(rows)))
    )
    new = [row for key, row in rows.items() if key not in stored]
    if new:
        session.execute(insert(BehaviourEvent), new)
    counts.outcomes[Outcome.INSERTED] += len(new)
    counts.outcomes[Outcome.UNCHANGED] += len(records) - len(new)
    return counts


def _event_key(record: EventRecord, person: Incoming) -> str:
    """Who (their strongest key), what, when: independent of customer ids, which merges move."""
    who = key_label(min(person.keys, key=lambda key: (key_strength(key), key_label(key))))
    moment = record.occurred_at.astimezone(UTC).isoformat()
    text = "|".join(
        (who, record.event_type.value, moment, record.item or "", record.category or "")
    )
    return hashlib.sha256(text.encode()).hexdigest()
