"""API tokens: a read keeps the token's last use to the minute instead of writing every time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update

from siyu.db.engine import transaction
from siyu.security.tables import ApiToken
from siyu.security.users import create_token, create_user, user_for_token
from tests.db.test_job_transaction import writer_ahead


def last_used(engine: Engine) -> datetime | None:
    with transaction(engine) as session:
        return session.scalar(select(ApiToken.last_used_at))


def test_a_tokens_last_use_is_written_at_most_once_a_minute(engine: Engine) -> None:
    with transaction(engine) as session:
        user = create_user(
            session, username="erp", role="operator", password="correct horse battery"
        )
        token = create_token(session, user, "ERP sync")
    assert last_used(engine) is None
    with transaction(engine) as session:
        assert user_for_token(session, token).username == "erp"  # type: ignore[union-attr]
    first = last_used(engine)
    assert first is not None
    with transaction(engine) as session:
        user_for_token(session, token)
        assert not session.dirty  # nothing to write: used within the minute
    assert last_used(engine) == first
    with transaction(engine) as session:  # a minute later
        session.execute(update(ApiToken).values(last_used_at=first - timedelta(minutes=1)))
    with transaction(engine) as session:
        user_for_token(session, token)
    latest = last_used(engine)
    assert latest is not None
    assert abs(latest - datetime.now(UTC)) < timedelta(minutes=1)
    with transaction(engine) as session:
        assert user_for_token(session, "not a token") is None


def test_a_tokens_use_waits_for_no_writer(sqlite_engine: Engine) -> None:
    """SQLite during a long write (a full refresh holds the lock for minutes): the request is
    answered at once and the use is recorded by a later request, not after a 30 s wait."""
    with transaction(sqlite_engine) as session:
        user = create_user(
            session, username="erp", role="operator", password="correct horse battery"
        )
        token = create_token(session, user, "ERP sync")
    with writer_ahead(sqlite_engine, holds_for=3.0), transaction(sqlite_engine) as session:
        started = time.monotonic()
        found = user_for_token(session, token)
        waited = time.monotonic() - started
    assert found is not None
    assert waited < 1.5
    assert last_used(sqlite_engine) is None  # skipped while the writer held the lock
    with transaction(sqlite_engine) as session:
        user_for_token(session, token)
    assert last_used(sqlite_engine) is not None
