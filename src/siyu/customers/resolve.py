"""OneID for a batch of incoming records: one customer per person, deterministically.

For each record, in file order: its strong keys are looked up (in the store and among the keys
this batch already placed). No match → a new customer. One match → that customer. Several →
the customers are merged into the oldest of them (the lowest id, so ids already used elsewhere
stay valid), unless an operator separated that pair before. Every identity row records the key
that linked it and the file line it came from. A record with no key at all (an anonymised
export) stays unattributed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.customers.keys import IdentityKey
from siyu.customers.merge import blocked_pairs, do_merge
from siyu.customers.tables import Customer, CustomerIdentity


@dataclass(frozen=True, slots=True)
class Incoming:
    """One record's identity evidence."""

    keys: tuple[IdentityKey, ...]
    source: str  # "file.csv:12"
    name: str | None = None
    province: str | None = None
    city: str | None = None
    shop_id: int | None = None


@dataclass
class BatchResult:
    customer_ids: list[int | None]
    new_customers: int = 0
    merges: int = 0
    new_identities: int = 0


class Resolver:
    """Resolves batches within one session; remembers separated pairs across batches."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.blocked = blocked_pairs(session)

    def resolve(self, batch: Sequence[Incoming]) -> BatchResult:
        state = _BatchState(self.session, self.blocked, batch)
        return state.run()


class _BatchState:
    def __init__(
        self, session: Session, blocked: set[frozenset[int]], batch: Sequence[Incoming]
    ) -> None:
        self.session = session
        self.blocked = blocked
        self.batch = batch
        self.owner: dict[IdentityKey, int] = {}
        self.weak_held: set[tuple[int, IdentityKey]] = set()
        self.parent: dict[int, int] = {}
        self.placeholders: dict[int, Incoming] = {}
        self.new_identities: list[tuple[IdentityKey, int, Incoming, str]] = []
        self.merges: list[tuple[int, int, str, str]] = []

    def run(self) -> BatchResult:
        self._load_existing()
        assigned = [self._place(incoming) for incoming in self.batch]
        result = BatchResult(customer_ids=[])
        real_ids = self._create_customers(result)
        self._apply_merges(real_ids, result)
        self._insert_identities(real_ids, result)
        result.customer_ids = [
            None if cid is None else real_ids[self._find(cid)] for cid in assigned
        ]
        return result

    def _load_existing(self) -> None:
        values = sorted({key.value for incoming in self.batch for key in incoming.keys})
        if not values:
            return
        table = CustomerIdentity.__table__.c
        rows = self.session.execute(
            select(table.kind, table.scope, table.value, table.customer_id, table.is_strong).where(
                table.value.in_(values)
            )
        )
        for kind, scope, value, customer_id, is_strong in rows:
            key = IdentityKey(kind, scope, value)
            if is_strong:
                self.owner[key] = customer_id
            else:
                self.weak_held.add((customer_id, key))

    def _find(self, cid: int) -> int:
        while cid in self.parent:
            cid = self.parent[cid]
        return cid

    def _place(self, incoming: Incoming) -> int | None:
        if not incoming.keys:
            return None
        strong = sorted((key for key in incoming.keys if key.is_strong), key=_rank)
        matches: list[tuple[IdentityKey, int]] = []
        for key in strong:
            if key in self.owner:
                cid = self._find(self.owner[key])
                if all(cid != other for _, other in matches):
                    matches.append((key, cid))
        if matches:
            linked_key, cid = matches[0]
            linked_by = linked_key.label()
            for key, other in matches[1:]:
                cid = self._merge(cid, other, f"{linked_key.label()} + {key.label()}", incoming)
        else:
            cid = -(len(self.placeholders) + 1)
            self.placeholders[cid] = incoming
            linked_by = "new customer"
        for key in incoming.keys:
            self._hold(key, cid, incoming, linked_by)
        return cid

    def _merge(self, keeper: int, other: int, reason: str, incoming: Incoming) -> int:
        if frozenset((keeper, other)) in self.blocked:
            return keeper
        kept, merged = (keeper, other) if _older(keeper, other) else (other, keeper)
        self.parent[merged] = kept
        if merged > 0:  # a real customer folds away: recorded, reversible
            self.merges.append((kept, merged, reason, incoming.source))
        return kept

    def _hold(self, key: IdentityKey, cid: int, incoming: Incoming, linked_by: str) -> None:
        if key.is_strong:
            if key in self.owner:
                return
            self.owner[key] = cid
        else:
            if (self._find(cid), key) in self.weak_held:
                return
            self.weak_held.add((self._find(cid), key))
        self.new_identities.append((key, cid, incoming, linked_by))

    def _create_customers(self, result: BatchResult) -> dict[int, int]:
        roots = [cid for cid in self.placeholders if self._find(cid) == cid]
        ids: dict[int, int] = {}
        if roots:
            rows = [
                {
                    "display_name": self.placeholders[cid].name,
                    "province": self.placeholders[cid].province,
                    "city": self.placeholders[cid].city,
                }
                for cid in roots
            ]
            created = self.session.scalars(
                insert(Customer).returning(Customer.id, sort_by_parameter_order=True), rows
            ).all()
            ids = dict(zip(roots, created, strict=True))
        result.new_customers = len(roots)
        return _RealIds(ids)

    def _apply_merges(self, real_ids: dict[int, int], result: BatchResult) -> None:
        for kept, merged, reason, source in self.merges:
            do_merge(
                self.session,
                kept_id=real_ids[kept],
                merged_id=merged,
                reason=reason,
                source=source,
            )
        result.merges = len(self.merges)

    def _insert_identities(self, real_ids: dict[int, int], result: BatchResult) -> None:
        rows = [
            {
                "customer_id": real_ids[self._find(cid)],
                "kind": key.kind,
                "scope": key.scope,
                "value": key.value,
                "is_strong": key.is_strong,
                "shop_id": incoming.shop_id,
                "linked_by": linked_by[:300],
                "source": incoming.source[:500],
            }
            for key, cid, incoming, linked_by in self.new_identities
        ]
        if rows:
            self.session.execute(insert(CustomerIdentity), rows)
        result.new_identities = len(rows)


class _RealIds(dict[int, int]):
    """Placeholder → new id; real ids map to themselves."""

    def __missing__(self, cid: int) -> int:
        if cid > 0:
            return cid
        raise KeyError(cid)


def _rank(key: IdentityKey) -> tuple[int, str, str, str]:
    return (key.strength, key.kind, key.scope, key.value)


def _older(first: int, second: int) -> bool:
    """Real customers outrank new ones; among real ones the oldest (lowest id) is kept."""
    if (first > 0) != (second > 0):
        return first > 0
    return abs(first) <= abs(second)
