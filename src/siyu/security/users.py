"""Console users: creation, login with rate limiting, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from siyu.accounts.tables import StaffAccount
from siyu.db.engine import job_transaction
from siyu.errors import DatabaseBusyError, InvalidInputError, SiyuError
from siyu.security.access import Actor
from siyu.security.passwords import MIN_LENGTH, hash_password, verify_password
from siyu.security.tables import ROLES, ApiToken, LoginAttempt, User

MAX_FAILURES = 5  # per username within the window
FAILURE_WINDOW = timedelta(minutes=15)
LAST_USED_PRECISION = timedelta(minutes=1)  # an API token's last use is recorded to the minute


class LoginFailedError(SiyuError):
    code = "login_failed"


class TooManyAttemptsError(SiyuError):
    code = "too_many_attempts"


def create_user(
    session: Session, *, username: str, password: str, role: str, staff_userid: str | None = None
) -> User:
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < MIN_LENGTH:
        raise InvalidInputError(f"the password needs at least {MIN_LENGTH} characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidInputError(f"user {username!r} exists already")
    staff_id = None
    if role == "guide":
        if not staff_userid:
            raise InvalidInputError("a guide needs --staff, their WeCom userid")
        staff_id = session.scalar(
            select(StaffAccount.id).where(StaffAccount.userid == staff_userid)
        )
        if staff_id is None:
            raise InvalidInputError(f"no staff account with WeCom userid {staff_userid!r}")
    user = User(
        username=username, password_hash=hash_password(password), role=role, staff_id=staff_id
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInputError(f"the password needs at least {MIN_LENGTH} characters")
    user.password_hash = hash_password(password)
    session.flush()


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=user.role, staff_id=user.staff_id)


def authenticate(session: Session, *, username: str, password: str, address: str = "") -> User:
    """The user, or LoginFailedError; after MAX_FAILURES recent failures, TooManyAttemptsError
    (checked before the password, so guessing stops paying off)."""
    since = datetime.now(UTC) - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since,
        )
    )
    if (failures or 0) >= MAX_FAILURES:
        raise TooManyAttemptsError("too many failed logins: try again in 15 minutes")
    user = session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
    succeeded = user is not None and verify_password(user.password_hash, password)
    session.add(LoginAttempt(username=username[:64], address=address[:64], succeeded=succeeded))
    session.flush()
    if not succeeded or user is None:
        raise LoginFailedError("wrong username or password")
    return user


def create_token(session: Session, user: User, name: str) -> str:
    """A new API token (shown once; only its hash is stored)."""
    token = "siyu_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_digest(token)))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The token's user. `last_used_at` is kept to the minute (writing it on every request
    would turn each read into a write), and written by `_touch`, not in the request's
    transaction: a request holding that row's lock while it waits for a handler thread would
    block every other request of the client — on the threads it is waiting for."""
    row = session.execute(
        select(User, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _digest(token))
    ).one_or_none()
    if row is None:
        return None
    user, token_id, last_used_at = row
    now = datetime.now(UTC)
    if last_used_at is None or now - last_used_at >= LAST_USED_PRECISION:
        _touch(session.get_bind().engine, token_id, now)
    return user


def _touch(engine: Engine, token_id: int, now: datetime) -> None:
    """Record a use in a transaction of its own that waits for no one: on PostgreSQL a row
    another request is writing is skipped (SKIP LOCKED; that request records the minute).
    SQLite has no row locks: the write lock is tried once (waiting a quarter of a second at
    most, not the 30 s busy timeout: a full refresh holds it for minutes), and a busy database
    only delays the record to a later request."""
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_PRECISION)
    claim = select(ApiToken.id).where(ApiToken.id == token_id, stale)
    try:
        with job_transaction(engine, wait=0) as session:
            session.execute(
                update(ApiToken)
                .where(ApiToken.id.in_(claim.with_for_update(skip_locked=True)))
                .values(last_used_at=now)
            )
    except (DatabaseBusyError, OperationalError):
        return


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
