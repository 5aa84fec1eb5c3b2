"""Who may see and do what. One place per resource (STYLE.md rule 3).

A shopping guide (`guide`) sees and acts on only their own customers: those with a live WeCom
contact of the guide's staff account. The rule is a SQL clause, so every query that lists or
reads customers applies it in the database, never after the fact.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, select, true
from sqlalchemy.orm import Session

from siyu.accounts.tables import WecomContact
from siyu.customers.tables import Customer
from siyu.errors import NotFoundError, SiyuError


class PermissionDeniedError(SiyuError):
    code = "permission_denied"


class Permission(enum.StrEnum):
    READ = "read"  # customers, profiles, KPIs
    IMPORT = "import"  # imports and refreshes
    SEGMENTS = "segments"  # tags and segments
    ENGAGE = "engage"  # campaigns, journeys, outbox
    LOYALTY = "loyalty"  # tiers, points adjustments, coupons, referral reviews, distributors
    SETTINGS = "settings"  # users, policies


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "operator": frozenset(
        {
            Permission.READ,
            Permission.IMPORT,
            Permission.SEGMENTS,
            Permission.ENGAGE,
            Permission.LOYALTY,
        }
    ),
    "analyst": frozenset({Permission.READ}),
    "guide": frozenset({Permission.READ}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    username: str
    role: str
    staff_id: int | None = None

    @property
    def is_guide(self) -> bool:
        return self.role == "guide"


def allows(actor: Actor | None, permission: str) -> bool:
    """Whether the actor's role carries the permission (for showing or hiding controls)."""
    granted = ROLE_PERMISSIONS.get(actor.role, frozenset()) if actor else frozenset()
    return Permission(permission) in granted


def require(actor: Actor, permission: Permission) -> None:
    if permission not in ROLE_PERMISSIONS.get(actor.role, frozenset()):
        raise PermissionDeniedError(f"role {actor.role} may not {permission.value}")


def require_all_customers(actor: Actor) -> None:
    """Reports over every customer (tier counts, referral statistics, coupon results) are not
    for a guide, who sees only their own customers."""
    require(actor, Permission.READ)
    if actor.is_guide:
        raise PermissionDeniedError("a guide sees only their own customers, not overall reports")


def customer_scope(actor: Actor, customer_id: Any = Customer.id) -> ColumnElement[bool]:
    """The customers this actor may see, as a clause on `customer_id`."""
    if not actor.is_guide:
        return true()
    return exists().where(
        WecomContact.customer_id == customer_id,
        WecomContact.staff_id == actor.staff_id,
        WecomContact.removed_at.is_(None),
    )


def access_customer(session: Session, actor: Actor, customer_id: int) -> None:
    """Raise NotFoundError (not 'forbidden': a guide learns nothing of others' customers)."""
    allowed = session.scalar(
        select(Customer.id).where(Customer.id == customer_id, customer_scope(actor))
    )
    if allowed is None:
        raise NotFoundError(f"no customer {customer_id}")
