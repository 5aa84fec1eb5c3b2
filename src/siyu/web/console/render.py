"""Rendering console pages: templates, the translator, the CSRF token, the navigation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.templating import Jinja2Templates

from siyu.security.access import Actor, allows
from siyu.web.deps import csrf_token, settings_of
from siyu.web.i18n import DEFAULT_LOCALE, LOCALES, translator

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
TEMPLATES.env.filters["tojson_safe"] = lambda value: json.dumps(
    value, ensure_ascii=False, default=str
)
TEMPLATES.env.filters["yuan"] = lambda fen: "" if fen is None else f"¥{fen / 100:,.2f}"
TEMPLATES.env.globals["allows"] = allows


@pass_context
def local_time(
    context: Context, value: datetime | date | None, form: str = "%Y-%m-%d %H:%M"
) -> str:
    """A stored time (UTC) in the merchant's time zone (SIYU_TIMEZONE), as `form`; "–" for none.
    A date is shown as it is."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        zone = settings_of(context["request"]).timezone
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    return value.strftime(form)


TEMPLATES.env.filters["local"] = local_time

NAV = (
    ("/", "Dashboard"),
    ("/customers", "Customers"),
    ("/segments", "Segments"),
    ("/tags", "Tags"),
    ("/campaigns", "Campaigns"),
    ("/journeys", "Journeys"),
    ("/outbox", "Outbox"),
    ("/members", "Members"),
    ("/imports", "Imports"),
    ("/settings", "Settings"),
)


def locale_of(request: Request) -> str:
    locale = request.session.get("locale", DEFAULT_LOCALE)
    return locale if locale in LOCALES else DEFAULT_LOCALE


def page(
    request: Request, template: str, actor: Actor | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    locale = locale_of(request)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "_": translator(locale),
            "locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else "en",
            "actor": actor,
            "csrf": csrf_token(request),
            "nav": NAV,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )
