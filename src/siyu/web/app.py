"""The FastAPI application: the API under /api/v1, the console at /, static files."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

from siyu.analytics.store import read_state, write_state
from siyu.db.engine import make_engine, transaction
from siyu.errors import SiyuError
from siyu.settings import SECURE_COOKIES_VARIABLE, Settings
from siyu.web.api import (
    analytics,
    campaigns,
    customers,
    imports,
    journeys,
    loyalty,
    outbox,
    segments,
    system,
    tags,
)
from siyu.web.api import settings as settings_api
from siyu.web.api.console_status import CONSOLE_STATUS
from siyu.web.console import campaigns as campaign_pages
from siyu.web.console import journeys as journey_pages
from siyu.web.console import loyalty as loyalty_pages
from siyu.web.console import outbox as outbox_pages
from siyu.web.console import pages
from siyu.web.console import segments as segment_pages
from siyu.web.console import settings as settings_pages
from siyu.web.console import tags as tag_pages
from siyu.web.deps import NotAuthenticatedError

STATIC = Path(__file__).with_name("static")
STATUS = {
    "not_found": 404,
    "permission_denied": 403,
    "not_authenticated": 401,
    "login_failed": 401,
    "csrf": 403,
    "too_many_attempts": 429,
    "invalid_input": 422,
    "invalid_format": 422,
    "database_unavailable": 503,
    "database_busy": 503,
    **loyalty.ERROR_STATUS,
    **CONSOLE_STATUS,
}


def create_app(
    settings: Settings, *, engine: Engine | None = None, secure_cookies: bool = False
) -> FastAPI:
    """`secure_cookies` marks the session cookie Secure (serve behind HTTPS in production)."""
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(
        lifespan=_thread_limit(settings.web_threads),
        title="siyu API",
        version="1",
        description="Private-domain customer operations: customers, imports, profiles, KPIs.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(engine),
        session_cookie="siyu_session",
        same_site="lax",
        https_only=secure_cookies,
        max_age=12 * 3600,
    )
    apis = (customers, analytics, imports, system, segments, tags, outbox, settings_api)
    for api in (*apis, campaigns, journeys, loyalty):
        app.include_router(api.router, prefix="/api/v1")
    app.include_router(settings_pages.router)  # before pages: it serves /settings
    consoles = (pages, segment_pages, tag_pages, outbox_pages)
    for console in (*consoles, campaign_pages, journey_pages, loyalty_pages):
        app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SiyuError, _siyu_error)  # type: ignore[arg-type]
    return app


def app_from_env() -> FastAPI:
    """The app of each process of `siyu serve --workers N` (uvicorn's factory): the settings
    from the environment the command set up for them."""
    return create_app(
        Settings.from_env(), secure_cookies=os.environ.get(SECURE_COOKIES_VARIABLE) == "1"
    )


def _thread_limit(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The handlers run in AnyIO's thread pool (40 threads by default). A few threads per
    process serve a crowd faster: requests queue first come, first served, instead of sharing
    the interpreter lock (p95 at 20 users, docs/benchmarks.md)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def secret_key(engine: Engine) -> str:
    """SIYU_SECRET_KEY if set, else a random key made once and kept in the database."""
    configured = os.environ.get("SIYU_SECRET_KEY")
    if configured:
        return configured
    with transaction(engine) as session:
        key = read_state(session, "secret_key")
        if key is None:
            key = secrets.token_hex(32)
            write_state(session, "secret_key", key)
    return key


async def _siyu_error(request: Request, error: SiyuError) -> Response:
    if not request.url.path.startswith("/api/"):
        if isinstance(error, NotAuthenticatedError):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return pages.error_page(request, error, STATUS.get(error.code, 400))
    body = {"error": {"code": error.code, "message": error.message}}
    return JSONResponse(body, status_code=STATUS.get(error.code, 400))
