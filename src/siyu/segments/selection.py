"""Which customers an operator means: ids, phones, or lines of a file of either.

A line is a phone if it is a valid mobile number (11 digits in mainland China, or +86…),
otherwise a customer id. Merged-away customers are followed to the customer they were merged
into. Anything not found is refused, with its line numbers (phones masked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.keys import normalise_phone
from siyu.customers.tables import Customer, CustomerIdentity
from siyu.segments.errors import CustomerSelectionError

HEADERS = {"customer_id", "id", "phone", "mobile", "手机号", "客户id"}
CHUNK = 5_000
MAX_HOPS = 20


@dataclass(frozen=True, slots=True)
class CustomerKey:
    origin: str  # where the key came from: "line 4", "--customer 12"
    customer_id: int | None = None
    phone: str | None = None  # E.164

    def shown(self) -> str:
        if self.phone is not None:
            return f"{self.origin} (phone {self.phone[:6]}****{self.phone[-4:]})"
        return f"{self.origin} (customer {self.customer_id})"


def customer_keys(customer_ids: Sequence[int]) -> list[CustomerKey]:
    return [CustomerKey(f"--customer {value}", customer_id=value) for value in customer_ids]


def parse_customer_lines(text: str) -> list[CustomerKey]:
    keys: list[CustomerKey] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        value = raw.strip().strip(",").strip('"')
        if not value or value.startswith("#") or (number == 1 and value.lower() in HEADERS):
            continue
        phone = normalise_phone(value) if len(value) >= 11 else None
        if phone is not None:
            keys.append(CustomerKey(f"line {number}", phone=phone))
        elif value.isdigit():
            keys.append(CustomerKey(f"line {number}", customer_id=int(value)))
        else:
            raise CustomerSelectionError(
                f"line {number}: {value[:20]!r} is neither a customer id nor a mobile number"
            )
    return keys


def resolve_customers(session: Session, keys: Sequence[CustomerKey]) -> list[int]:
    """The live customer ids the keys name (sorted, distinct); refuses unknown keys."""
    by_phone = _phones(session, sorted({key.phone for key in keys if key.phone}))
    start = {key: key.customer_id if key.phone is None else by_phone.get(key.phone) for key in keys}
    live = _follow_merges(session, {value for value in start.values() if value is not None})
    unknown = [key for key, value in start.items() if value is None or value not in live]
    if unknown:
        shown = ", ".join(key.shown() for key in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise CustomerSelectionError(
            f"{len(unknown)} of {len(keys)} customers not found: {shown}{more}; nothing changed"
        )
    return sorted({live[value] for value in start.values() if value is not None})


def _phones(session: Session, phones: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for begin in range(0, len(phones), CHUNK):
        rows = session.execute(
            select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "phone",
                CustomerIdentity.is_strong.is_(True),
                CustomerIdentity.value.in_(phones[begin : begin + CHUNK]),
            )
        )
        found.update((phone, customer) for phone, customer in rows)
    return found


def _follow_merges(session: Session, ids: set[int]) -> dict[int, int]:
    """id → the live customer it is (itself, or where it was merged into); unknown ids absent."""
    target = {customer: customer for customer in ids}
    pending = set(ids)
    for _ in range(MAX_HOPS):
        if not pending:
            break
        rows = _merged_into(session, sorted({target[customer] for customer in pending}))
        for customer in list(pending):
            current = target[customer]
            if current not in rows:
                del target[customer]
                pending.discard(customer)
                continue
            merged = rows[current]
            if merged is None:
                pending.discard(customer)
            else:
                target[customer] = merged
    return target


def _merged_into(session: Session, ids: list[int]) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for begin in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Customer.id, Customer.merged_into_id).where(
                Customer.id.in_(ids[begin : begin + CHUNK])
            )
        )
        found.update((customer, merged) for customer, merged in rows)
    return found
