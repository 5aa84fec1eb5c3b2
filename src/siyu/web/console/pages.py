"""Console pages. Each: parse → check access → call a capability → render."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.analytics.dashboard import clv_histogram, staff_overview, stage_counts
from siyu.analytics.kpi_snapshot import dashboard_figures
from siyu.analytics.tables import CustomerProfile
from siyu.customers.activity import customer_activity
from siyu.customers.queries import get_customer, list_customers, mask_phone, mask_phones_in
from siyu.errors import SiyuError
from siyu.ingest.service import format_names
from siyu.loyalty.overview import member_summary
from siyu.security.access import Permission, access_customer, customer_scope, require
from siyu.security.audit import record
from siyu.security.tables import User
from siyu.security.users import actor_of, authenticate
from siyu.web.console.render import page
from siyu.web.customer_extras import segments_and_reach
from siyu.web.deps import CurrentActor, DbSession, check_csrf, settings_of
from siyu.web.i18n import LOCALES

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", None, next=_local(next), error=None)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    address = request.client.host if request.client else ""
    try:
        user = authenticate(session, username=username, password=password, address=address)
    except SiyuError as error:
        session.commit()  # keep the failed attempt: it is what rate limiting counts
        return page(request, "login.html", None, 401, next=_local(next), error=error.message)
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["locale"] = user.locale
    record(session, actor_of(user), "login")
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{locale}")
def switch_language(request: Request, session: DbSession, locale: str, next: str = "/") -> Response:
    if locale in LOCALES:
        request.session["locale"] = locale
        user_id = request.session.get("user_id")
        user = session.get(User, user_id) if user_id else None
        if user is not None:
            user.locale = locale
    return RedirectResponse(_local(next), status_code=303)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    require(actor, Permission.READ)
    zone = settings_of(request).timezone
    today = datetime.now(zone).date()
    if actor.is_guide:  # their own customers, live; no KPIs
        scope = customer_scope(actor, CustomerProfile.customer_id)
        figures: dict[str, Any] = {
            "kpis": None,
            "stages": stage_counts(session, scope),
            "clv": clv_histogram(session, scope),
            "staff": staff_overview(session),
        }
    else:  # computed once per refresh, then read from one row
        figures = dashboard_figures(
            session, period_from=today - timedelta(days=364), period_to=today, zone=zone
        )
    return page(request, "dashboard.html", actor, 200, today=today, **figures)  # fmt: skip


@router.get("/customers", response_class=HTMLResponse)
def customers(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str | None, Query(max_length=100)] = None,
    stage: Annotated[str | None, Query(max_length=16)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    require(actor, Permission.READ)
    rows, total = list_customers(
        session, scope=customer_scope(actor), text=q or None, stage=stage or None,
        limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE,
    )  # fmt: skip
    phones = actor.role in ("admin", "operator")
    return page(
        request, "customers.html", actor, rows=rows, total=total, q=q or "", stage=stage or "",
        page_number=page_number, pages=max(1, -(-total // PAGE_SIZE)),
        show_phone=(lambda value: value) if phones else mask_phone,
    )  # fmt: skip


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer(
    request: Request, session: DbSession, actor: CurrentActor, customer_id: int
) -> HTMLResponse:
    require(actor, Permission.READ)
    access_customer(session, actor, customer_id)
    view = get_customer(session, customer_id)
    phones = actor.role in ("admin", "operator")
    activity = customer_activity(session, customer_id)
    extras = segments_and_reach(request, session, actor, customer_id, explained=False)
    return page(
        request, "customer.html", actor, view=view, activity=activity, extras=extras,
        member=member_summary(session, customer_id),
        show_phone=(lambda value: value) if phones else mask_phone,
        show_text=(lambda value: value) if phones else mask_phones_in,
    )  # fmt: skip


@router.get("/imports", response_class=HTMLResponse)
def imports(request: Request, actor: CurrentActor) -> HTMLResponse:
    require(actor, Permission.READ)
    return page(request, "imports.html", actor, formats=format_names())


def error_page(request: Request, error: SiyuError, status_code: int) -> Response:
    return page(request, "error.html", None, status_code, message=error.message)


def _local(target: str) -> str:
    """Only same-site redirects (no open redirect through ?next=)."""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
