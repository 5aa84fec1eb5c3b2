"""Request plumbing: one transaction per request, who is asking, CSRF for cookie sessions."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.db.engine import session_factory
from siyu.errors import SiyuError
from siyu.security.access import Actor
from siyu.security.tables import User
from siyu.security.users import actor_of, user_for_token
from siyu.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAuthenticatedError(SiyuError):
    code = "not_authenticated"


class CsrfError(SiyuError):
    code = "csrf"


def engine_of(request: Request) -> Engine:
    engine = request.app.state.engine
    assert isinstance(engine, Engine)
    return engine


def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error.
    A handler that starts a long job on its own transactions commits first (imports, refresh)."""
    session = session_factory(engine_of(request))()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit happens before the answer is sent, so a client that reads right
# after a write sees it (the default, "request", would commit after the response went out).
DbSession = Annotated[Session, Depends(db_session, scope="function")]


def current_actor(
    request: Request,
    session: DbSession,
    authorization: Annotated[str | None, Header()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Actor:
    """A bearer token (API clients) or the console's session cookie (with CSRF on writes)."""
    if authorization and authorization.lower().startswith("bearer "):
        user = user_for_token(session, authorization.split(" ", 1)[1].strip())
        if user is None or not user.is_active:
            raise NotAuthenticatedError("invalid API token")
        return actor_of(user)
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        raise NotAuthenticatedError("log in, or send an API token as 'Authorization: Bearer …'")
    if request.method not in SAFE_METHODS:
        check_csrf(request, x_csrf_token)
    return actor_of(user)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, supplied: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not supplied or not secrets.compare_digest(str(expected), supplied):
        raise CsrfError("missing or wrong CSRF token: reload the page and try again")
