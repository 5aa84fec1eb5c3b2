"""OneID for a batch of incoming records: one customer per person, deterministically.

For each record, in file order: its strong keys are looked up (in the store and among the keys
this batch already placed). No match → a new customer. One match → that customer. Several →
the customers are merged into the oldest of them (the lowest id, so ids already used elsewhere
stay valid), unless an operator separated that pair before. Every identity row records the key
that linked it and the file line it came from. A record with no key at all (an anonymised
export) stays unattributed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from siyu.customers.keys import MASKED, KeyParts, key_label, key_strength
from siyu.customers.merge import blocked_pairs, do_merge
from siyu.ingest.bulk import Bulk

CUSTOMER_COLUMNS = ("display_name", "province", "city", "created_at", "updated_at")
IDENTITY_COLUMNS = (
    "customer_id", "kind", "scope", "value", "is_strong", "shop_id", "linked_by", "source",
    "created_at",
)  # fmt: skip


class Incoming(NamedTuple):
    """One record's identity evidence (a named tuple: an import makes one per order)."""

    keys: tuple[KeyParts, ...]  # IdentityKey or plain (kind, scope, value) tuples
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
        self.bulk = Bulk(session)
        self.now = datetime.now(UTC)
        self.blocked = blocked
        self.batch = batch
        self.owner: dict[KeyParts, int] = {}
        self.weak_held: set[tuple[int, KeyParts]] = set()
        self.parent: dict[int, int] = {}
        self.placeholders: dict[int, Incoming] = {}
        self.new_identities: list[tuple[KeyParts, int, Incoming, str]] = []
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
        """The stored identities of the batch's keys: one indexed lookup per (kind, scope)."""
        wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        for incoming in self.batch:
            for kind, scope, value in incoming.keys:
                wanted[kind, scope].add(value)
        for (kind, scope), values in sorted(wanted.items()):
            rows = self.bulk.execute_in(
                "SELECT value, customer_id, is_strong FROM customer_identities "
                "WHERE kind = ? AND scope = ? AND value {}",
                (kind, scope),
                sorted(values),
            )
            for value, customer_id, is_strong in rows:
                key = (kind, scope, value)
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
        owner, find = self.owner, self._find
        strong = [key for key in incoming.keys if key[0] != MASKED]
        if len(strong) > 1:
            strong.sort(key=_rank)
        matches: list[tuple[KeyParts, int]] = []
        for key in strong:
            if key in owner:
                cid = find(owner[key])
                if all(cid != other for _, other in matches):
                    matches.append((key, cid))
        if matches:
            linked_key, cid = matches[0]
            linked_by = key_label(linked_key)
            for key, other in matches[1:]:
                reason = f"{key_label(linked_key)} + {key_label(key)}"
                cid = self._merge(cid, other, reason, incoming)
        else:
            cid = -(len(self.placeholders) + 1)
            self.placeholders[cid] = incoming
            linked_by = "new customer"
        self._hold(incoming, cid, linked_by)
        return cid

    def _merge(self, keeper: int, other: int, reason: str, incoming: Incoming) -> int:
        if frozenset((keeper, other)) in self.blocked:
            return keeper
        kept, merged = (keeper, other) if _older(keeper, other) else (other, keeper)
        self.parent[merged] = kept
        if merged > 0:  # a real customer folds away: recorded, reversible
            self.merges.append((kept, merged, reason, incoming.source))
        return kept

    def _hold(self, incoming: Incoming, cid: int, linked_by: str) -> None:
        """Record the keys this customer now holds; each new one becomes an identity row."""
        owner, weak_held, new = self.owner, self.weak_held, self.new_identities
        for key in incoming.keys:
            if key[0] != MASKED:
                if key in owner:
                    continue
                owner[key] = cid
            else:
                held = (self._find(cid), key)
                if held in weak_held:
                    continue
                weak_held.add(held)
            new.append((key, cid, incoming, linked_by))

    def _create_customers(self, result: BatchResult) -> dict[int, int]:
        roots = [cid for cid in self.placeholders if self._find(cid) == cid]
        now = self.bulk.db_time(self.now)
        rows = [
            (incoming.name, incoming.province, incoming.city, now, now)
            for incoming in (self.placeholders[cid] for cid in roots)
        ]
        created = self.bulk.insert_with_ids("customers", CUSTOMER_COLUMNS, rows)
        result.new_customers = len(roots)
        return _RealIds(zip(roots, created, strict=True))

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
        now = self.bulk.db_time(self.now)
        rows = [
            (
                real_ids[self._find(cid)],
                *key,
                key[0] != MASKED,
                incoming.shop_id,
                linked_by[:300],
                incoming.source[:500],
                now,
            )
            for key, cid, incoming, linked_by in self.new_identities
        ]
        if rows:
            self.bulk.insert("customer_identities", IDENTITY_COLUMNS, rows)
        result.new_identities = len(rows)


class _RealIds(dict[int, int]):
    """Placeholder → new id; real ids map to themselves."""

    def __missing__(self, cid: int) -> int:
        if cid > 0:
            return cid
        raise KeyError(cid)


def _rank(key: KeyParts) -> tuple[int, KeyParts]:
    return (key_strength(key), key)


def _older(first: int, second: int) -> bool:
    """Real customers outrank new ones; among real ones the oldest (lowest id) is kept."""
    if (first > 0) != (second > 0):
        return first > 0
    return abs(first) <= abs(second)
