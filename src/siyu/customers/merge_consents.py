"""Consent follows the person through a merge, and comes back on unmerge.

Two customers folded into one are one person, so their consents become one set. Where only the
merged customer stated a consent for a (channel, purpose), the row moves to the kept customer.
Where both did, the latest statement is the person's current wish (at the same instant a
refusal wins): when the merged customer's row is the one that holds, the two rows swap their
statements, so the kept customer carries it; the pairs are recorded and swapped back on unmerge.
An opt-out is therefore never lost by a merge (PIPL art. 24; docs/reach.md).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.engage.tables import Consent

MOVED = "consents"
SWAPPED = "consents_swapped"  # [kept row id, merged row id] pairs whose statements swapped


def move_consents(session: Session, *, from_id: int, to_id: int) -> dict[str, list[object]]:
    kept = {(row.channel, row.purpose): row for row in _rows(session, to_id)}
    moved: list[object] = []
    swapped: list[object] = []
    for row in _rows(session, from_id):
        holder = kept.get((row.channel, row.purpose))
        if holder is None:
            moved.append(row.id)
        elif (row.at, not row.granted) > (holder.at, not holder.granted):
            _swap(holder, row)
            swapped.append([holder.id, row.id])
    if moved:
        session.execute(update(Consent).where(Consent.id.in_(moved)).values(customer_id=to_id))
    session.flush()
    return {MOVED: moved, SWAPPED: swapped}


def restore_consents(
    session: Session, moved: dict[str, list[object]], *, kept_id: int, merged_id: int
) -> None:
    ids = moved.get(MOVED, [])
    if ids:
        session.execute(
            update(Consent)
            .where(Consent.id.in_(ids), Consent.customer_id == kept_id)
            .values(customer_id=merged_id)
        )
    for pair in moved.get(SWAPPED, []):
        assert isinstance(pair, list)
        first, second = (session.get_one(Consent, int(row_id)) for row_id in pair)
        _swap(first, second)
    session.flush()


def _rows(session: Session, customer_id: int) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.customer_id == customer_id)))


def _swap(first: Consent, second: Consent) -> None:
    first.granted, second.granted = second.granted, first.granted
    first.source, second.source = second.source, first.source
    first.at, second.at = second.at, first.at
