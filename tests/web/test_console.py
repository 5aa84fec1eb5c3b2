"""The console over real HTTP (no browser): login, rate limiting, language, pages, scope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from siyu.web.i18n import catalog
from tests.conftest import REPO_ROOT
from tests.web.conftest import PASSWORD, Site


def csrf(page: str) -> str:
    return page.split('name="csrf-token" content="')[1].split('"')[0]


@contextmanager
def logged_in(site: Site, username: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=30) as client:
        token = csrf(client.get("/login").text)
        response = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf": token, "next": "/"}
        )
        assert response.status_code == 303
        yield client


def test_pages_render_in_chinese_then_english(site: Site) -> None:
    with logged_in(site, "admin") as client:
        dashboard = client.get("/")
        assert dashboard.status_code == 200
        assert "数据看板" in dashboard.text
        assert "单客价" in dashboard.text
        for path in ("/customers", f"/customers/{site.customers['C1']}", "/imports", "/settings"):
            assert client.get(path).status_code == 200, path
        client.get("/lang/en", params={"next": "/customers"})
        english = client.get("/customers").text
    assert "Customers" in english
    assert "客户" not in english.split("<main>")[1].split("<table")[0]


def test_times_are_shown_in_the_merchants_time_zone(site: Site) -> None:
    """C1's first order was placed at 10:00 in Shanghai (stored as 02:00 UTC)."""
    with logged_in(site, "admin") as client:
        page = client.get(f"/customers/{site.customers['C1']}").text
    assert "2026-01-05 10:00" in page
    assert "2026-01-05 02:00" not in page


def test_guides_see_only_their_customers_in_the_console(site: Site) -> None:
    with logged_in(site, "guide") as client:
        listing = client.get("/customers").text
        own = client.get(f"/customers/{site.customers['C1']}")
        other = client.get(f"/customers/{site.customers['C2']}")
    assert f'href="/customers/{site.customers["C1"]}"' in listing
    assert f'href="/customers/{site.customers["C2"]}"' not in listing
    assert (own.status_code, other.status_code) == (200, 404)
    assert "138****0001" in own.text
    assert "13800000001" not in own.text


def test_login_is_rate_limited(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=30) as client:
        token = csrf(client.get("/login").text)
        statuses = [
            client.post("/login", data={"username": "admin", "password": "wrong", "csrf": token})
            for _ in range(6)
        ]
        right = client.post(
            "/login", data={"username": "admin", "password": PASSWORD, "csrf": token}
        )
    assert [response.status_code for response in statuses] == [401] * 6
    assert "用户名或密码错误" in statuses[0].text
    assert "登录失败次数过多" in statuses[5].text
    assert right.status_code == 401  # even the right password waits out the lock


def test_login_refuses_a_missing_csrf_token_and_foreign_redirects(site: Site) -> None:
    with httpx.Client(base_url=site.url, timeout=30) as client:
        refused = client.post("/login", data={"username": "admin", "password": PASSWORD})
        token = csrf(client.get("/login").text)
        response = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf": token,
                  "next": "https://evil.example/"},
        )  # fmt: skip
    assert refused.status_code == 403
    assert response.headers["location"] == "/"


def test_every_console_string_has_a_chinese_translation() -> None:
    web = REPO_ROOT / "src" / "siyu" / "web"
    sources = [*web.glob("templates/*.html"), *web.glob("console/*.py")]
    literal = re.compile(r"""_\((["'])(.+?)\1""")
    strings = {match[1] for path in sources for match in literal.findall(path.read_text())}
    from siyu.analytics.rfm import SEGMENTS
    from siyu.analytics.tables import STAGES
    from siyu.commerce.tables import ORDER_STATUSES
    from siyu.customers.tables import IDENTITY_KINDS
    from siyu.engage.journeys.templates import TEMPLATES
    from siyu.security.tables import ROLES

    descriptions = {template.description for template in TEMPLATES.values()}
    dynamic = {*SEGMENTS, *STAGES, *ORDER_STATUSES, *IDENTITY_KINDS, *ROLES, *descriptions}
    missing = sorted((strings | dynamic) - set(catalog("zh_CN")))
    assert missing == []
