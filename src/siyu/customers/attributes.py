"""Named values of a customer that no platform export carries, such as a birthday from the
member system. The journeys' birthday trigger reads the `birthday` attribute.

`load_attributes` reads a UTF-8 CSV whose `customer_id` or `phone` column names the customer
and whose other columns are attributes (`birthday`, …); an empty cell leaves the attribute as
it is. A row naming no known customer, or with a malformed birthday, is reported with its line
number and reason, and the other rows still load.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.customers.keys import normalise_phone
from siyu.customers.tables import Customer, CustomerIdentity
from siyu.engage.journeys.tables import CustomerAttribute
from siyu.errors import InvalidInputError

KEYS = ("customer_id", "phone")
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
BIRTHDAY = re.compile(r"(?:(\d{4})-)?(\d{2})-(\d{2})", re.ASCII)


@dataclass
class AttributeLoad:
    rows: int = 0
    customers: int = 0
    values: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "customers": self.customers,
            "values": self.values,
            "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected],
        }


def check_attribute(name: str, value: str) -> str:
    """The value to store, or InvalidInputError saying what is wrong."""
    if not NAME.fullmatch(name):
        raise InvalidInputError(f"attribute name {name!r}: lower-case letters, digits and _")
    value = value.strip()
    if not value or len(value) > 200:
        raise InvalidInputError(f"{name}: give a value of 1 to 200 characters")
    if name == "birthday" and not _is_birthday(value):
        raise InvalidInputError(f"birthday {value!r}: write YYYY-MM-DD or MM-DD")
    return value


def _is_birthday(value: str) -> bool:
    found = BIRTHDAY.fullmatch(value)
    if found is None:
        return False
    year = int(found[1]) if found[1] else 2000  # a leap year: 02-29 is a birthday
    try:
        date(year, int(found[2]), int(found[3]))
    except ValueError:
        return False
    return True


def set_attributes(
    session: Session, customer_id: int, values: dict[str, str], *, now: datetime
) -> None:
    if session.get(Customer, customer_id) is None:
        raise InvalidInputError(f"no customer {customer_id}")
    if not values:
        return
    rows = [
        {"customer_id": customer_id, "name": name, "value": check_attribute(name, value),
         "updated_at": now}
        for name, value in values.items()
    ]  # fmt: skip
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CustomerAttribute)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["customer_id", "name"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        ),
        rows,
    )


def load_attributes(session: Session, path: Path, *, now: datetime) -> AttributeLoad:
    result = AttributeLoad()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or ()]
        key = next((name for name in KEYS if name in header), None)
        names = [name for name in header if name not in KEYS]
        if key is None or not names:
            raise InvalidInputError(
                f"{path.name}: the header needs customer_id or phone, and attribute columns"
            )
        touched: set[int] = set()
        for line, row in enumerate(reader, start=2):
            result.rows += 1
            cells = {name.strip(): (text or "").strip() for name, text in row.items() if name}
            values = {name: cells[name] for name in names if cells.get(name)}
            try:
                customer_id = _customer(session, key, cells.get(key, ""))
                set_attributes(session, customer_id, values, now=now)
            except InvalidInputError as error:
                result.rejected.append((line, error.message))
                continue
            touched.add(customer_id)
            result.values += len(values)
    result.customers = len(touched)
    return result


def _customer(session: Session, key: str, text: str) -> int:
    """The live customer the row names (a merged-away id stands for the one it joined)."""
    if key == "customer_id":
        if not text.isdigit():
            raise InvalidInputError(f"customer_id {text!r} is not a number")
        customer = session.get(Customer, int(text))
        missing = f"no customer {text}"
    else:
        phone = normalise_phone(text)
        if phone is None:
            raise InvalidInputError(f"phone {text!r} is not a full, unmasked number")
        holder = session.scalar(
            select(CustomerIdentity.customer_id)
            .where(CustomerIdentity.kind == "phone", CustomerIdentity.value == phone)
            .limit(1)
        )
        customer = session.get(Customer, holder) if holder is not None else None
        missing = f"no customer with phone {text}"
    if customer is None:
        raise InvalidInputError(missing)
    return customer.merged_into_id or customer.id
