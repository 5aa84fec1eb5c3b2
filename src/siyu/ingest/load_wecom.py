"""WeCom contacts (batch/get_by_user) and customer groups (groupchat/get) into the store.

A contact's external_userid and unionid are strong keys; the phones a staff member noted in
remark_mobiles link the contact to the buyer of the same phone. Group members who are external
contacts are resolved the same way. A group's member list is a full snapshot: members missing
from a newer snapshot are marked as having left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from siyu.accounts.tables import CustomerGroup, CustomerGroupMember, StaffAccount, WecomContact
from siyu.customers.changes import mark_changed
from siyu.customers.keys import normalise_key
from siyu.customers.resolve import Incoming, Resolver
from siyu.ingest.outcome import LoadCounts, Outcome
from siyu.ingest.records import BuyerKey, BuyerKeyKind, ContactRecord, GroupRecord

EXTERNAL_MEMBER = 2


def ensure_staff(session: Session, userids: Iterable[str]) -> dict[str, int]:
    wanted = set(userids)
    found = dict(
        session.execute(
            select(StaffAccount.userid, StaffAccount.id).where(StaffAccount.userid.in_(wanted))
        ).all()
    )
    missing = [{"userid": userid, "name": userid} for userid in sorted(wanted - found.keys())]
    if missing:
        created = session.execute(
            insert(StaffAccount).returning(
                StaffAccount.userid, StaffAccount.id, sort_by_parameter_order=True
            ),
            missing,
        )
        found.update(created.all())
    return found


def _incoming(
    external_userid: str, unionid: str | None, phones: Sequence[str], name: str | None, source: str
) -> Incoming:
    raw = [BuyerKey(BuyerKeyKind.EXTERNAL_USERID, external_userid)]
    if unionid:
        raw.append(BuyerKey(BuyerKeyKind.UNIONID, unionid))
    raw += [BuyerKey(BuyerKeyKind.PHONE, phone) for phone in phones]
    keys = (normalise_key(key, scope="") for key in raw)
    return Incoming(keys=tuple(key for key in keys if key is not None), source=source, name=name)


def load_contacts(
    session: Session, records: Sequence[ContactRecord], source_name: str
) -> LoadCounts:
    counts = LoadCounts()
    staff = ensure_staff(session, (record.staff_userid for record in records))
    resolved = Resolver(session).resolve(
        [
            _incoming(
                record.external_userid, record.unionid, record.remark_mobiles, record.name,
                f"{source_name}:{record.line_no}",
            )
            for record in records
        ]
    )  # fmt: skip
    counts.new_customers, counts.merges = resolved.new_customers, resolved.merges
    mark_changed(session, resolved.customer_ids)
    wanted = {
        (staff[record.staff_userid], record.external_userid): {
            "customer_id": customer_id,
            "added_at": record.added_at,
            "state": record.state,
            "add_way": record.add_way,
        }
        for record, customer_id in zip(records, resolved.customer_ids, strict=True)
    }
    _upsert(session, WecomContact, ("staff_id", "external_userid"), wanted, counts)
    return counts


def load_groups(session: Session, records: Sequence[GroupRecord], source_name: str) -> LoadCounts:
    counts = LoadCounts()
    owners = ensure_staff(session, (record.owner_userid for record in records))
    groups = {
        (record.chat_id,): {
            "name": record.name or "",
            "owner_staff_id": owners[record.owner_userid],
            "created_at": record.created_at,
        }
        for record in records
    }
    _upsert(session, CustomerGroup, ("chat_id",), groups, counts)
    group_ids = dict(
        session.execute(
            select(CustomerGroup.chat_id, CustomerGroup.id).where(
                CustomerGroup.chat_id.in_([record.chat_id for record in records])
            )
        ).all()
    )
    for record in records:
        _load_members(session, record, group_ids[record.chat_id], source_name, counts)
    return counts


def _load_members(
    session: Session, record: GroupRecord, group_id: int, source_name: str, counts: LoadCounts
) -> None:
    external = [m for m in record.members if m.member_type == EXTERNAL_MEMBER]
    resolved = Resolver(session).resolve(
        [
            _incoming(m.userid, m.unionid, (), m.name, f"{source_name}:{record.line_no}")
            for m in external
        ]
    )
    mark_changed(session, resolved.customer_ids)
    counts.new_customers += resolved.new_customers
    counts.merges += resolved.merges
    customers = dict(zip((m.userid for m in external), resolved.customer_ids, strict=True))
    members = {
        (group_id, m.userid): {
            "member_type": m.member_type,
            "customer_id": customers.get(m.userid),
            "joined_at": m.joined_at,
            "left_at": None,
        }
        for m in record.members
    }
    _upsert(session, CustomerGroupMember, ("group_id", "member_userid"), members, LoadCounts())
    session.execute(
        update(CustomerGroupMember)
        .where(
            CustomerGroupMember.group_id == group_id,
            CustomerGroupMember.member_userid.not_in([m.userid for m in record.members]),
            CustomerGroupMember.left_at.is_(None),
        )
        .values(left_at=datetime.now(UTC))
    )


def _upsert(
    session: Session,
    model: Any,
    key_names: tuple[str, ...],
    wanted: dict[tuple[Any, ...], dict[str, Any]],
    counts: LoadCounts,
) -> None:
    """Insert new rows, update changed ones, count each; `wanted` is keyed by `key_names`."""
    if not wanted:
        return
    key_columns = [getattr(model, name) for name in key_names]
    value_names = sorted(next(iter(wanted.values())))
    first_key = key_columns[0]
    stored = {
        tuple(row[: len(key_names)]): row
        for row in session.execute(
            select(*key_columns, model.id, *(getattr(model, n) for n in value_names)).where(
                first_key.in_({key[0] for key in wanted})
            )
        )
    }
    new, changes = [], []
    for key, values in wanted.items():
        row = stored.get(key)
        if row is None:
            new.append(dict(zip(key_names, key, strict=True)) | values)
            counts.outcomes[Outcome.INSERTED] += 1
            continue
        old = dict(zip(value_names, row[len(key_names) + 1 :], strict=True))
        change = {n: v for n, v in values.items() if v is not None and old[n] != v}
        if values.get("left_at", 0) is None and old.get("left_at") is not None:
            change["left_at"] = None  # back in the group
        counts.outcomes[Outcome.UPDATED if change else Outcome.UNCHANGED] += 1
        if change:
            changes.append({"id": row[len(key_names)], **change})
    if new:
        session.execute(insert(model), new)
    if changes:
        session.execute(update(model), changes)
