"""/api/v1/journeys and the /journeys console page over real HTTP: the role matrix (a refused
change answers 403 and changes nothing), the dry run, and the page in Chinese."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.accounts.tables import StaffAccount
from siyu.db.engine import transaction
from siyu.engage.journeys.simulate import SimulatedDay, Simulation, visible_customers
from siyu.engage.journeys.tables import Journey
from siyu.security.access import Actor
from siyu.security.tables import AuditEntry
from tests.web.conftest import Site
from tests.web.test_console import csrf, logged_in

ROLES = ("admin", "operator", "analyst", "guide")
WRITERS = {"admin", "operator"}


def journeys_in(site: Site) -> list[tuple[int, str, str]]:
    with transaction(site.engine) as session:
        rows = session.execute(select(Journey.id, Journey.name, Journey.status)).all()
        return [(int(i), str(n), str(s)) for i, n, s in rows]


def settled(read: Callable[[], int]) -> int:
    """The value once it stops changing: the request's commit may follow its answer."""
    value, deadline = read(), time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if (again := read()) == value:
            return value
        value = again
    return value


def audit_count(site: Site) -> int:
    with transaction(site.engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(site: Site, role: str) -> None:
    with site.client("admin") as admin:
        made = admin.post("/api/v1/journeys", json={"template": "win_back"})
    assert made.status_code == 201
    journey: dict[str, Any] = made.json()
    assert (journey["status"], journey["name"]) == ("draft", "沉睡高价值召回")
    number = journey["id"]
    writes = {
        "create": ("/api/v1/journeys", {"template": "second_order"}),
        "enable": (f"/api/v1/journeys/{number}/enable", None),
    }
    with site.client(role) as client:
        for path in (
            "/api/v1/journeys",
            "/api/v1/journeys/templates",
            f"/api/v1/journeys/{number}",
        ):
            assert client.get(path).status_code == 200, path
        simulated = client.get(f"/api/v1/journeys/{number}/simulate", params={"days": 3})
        assert simulated.status_code == 200
        assert len(simulated.json()["days"]) == 3
        before, audits = journeys_in(site), audit_count(site)
        answers = {name: client.post(path, json=body) for name, (path, body) in writes.items()}
        if role in WRITERS:
            assert {n: a.status_code for n, a in answers.items()} == {"create": 201, "enable": 200}
            assert answers["enable"].json()["status"] == "enabled"
            disabled = client.post(f"/api/v1/journeys/{number}/disable")
            assert (disabled.status_code, disabled.json()["status"]) == (200, "disabled")
            assert settled(lambda: audit_count(site)) == audits + 3
        else:
            assert {n: a.status_code for n, a in answers.items()} == {"create": 403, "enable": 403}
            assert answers["create"].json()["error"]["code"] == "permission_denied"
            assert client.post(f"/api/v1/journeys/{number}/disable").status_code == 403
            assert (journeys_in(site), audit_count(site)) == (before, audits)


def test_errors_answer_with_codes_and_paths(site: Site) -> None:
    with site.client("operator") as client:
        missing = client.get("/api/v1/journeys/99")
        bad = client.post(
            "/api/v1/journeys",
            json={"definition": {"name": "x", "trigger": {"type": "order_paid"}, "steps": []}},
        )
        unknown = client.post("/api/v1/journeys", json={"template": "nope"})
        made = client.post("/api/v1/journeys", json={"template": "after_sales_sop"}).json()
        twice = client.post(f"/api/v1/journeys/{made['id']}/disable")
        too_long = client.get(f"/api/v1/journeys/{made['id']}/simulate", params={"days": 91})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("invalid journey: $.steps: List should")
    assert unknown.json()["error"]["message"].startswith("no template 'nope'")
    assert (twice.status_code, twice.json()["error"]["code"]) == (400, "journey_state")
    assert too_long.status_code == 422
    with site.client() as anonymous:
        assert anonymous.get("/api/v1/journeys").status_code == 401


def test_a_guide_sees_only_their_own_customers_in_a_forecast(site: Site) -> None:
    c1, c2 = site.customers["C1"], site.customers["C2"]
    forecast = Simulation(
        journey_id=1, start=datetime(2026, 3, 2, tzinfo=UTC), days=[SimulatedDay(date(2026, 3, 2))],
        policy={}, deferred_customers=[c1, c2], suppressed_customers=[c2],
    )  # fmt: skip
    with transaction(site.engine) as session:
        staff = session.scalar(select(StaffAccount.id).where(StaffAccount.userid == "guide_a"))
        guide = Actor(user_id=0, username="guide", role="guide", staff_id=staff)
        analyst = Actor(user_id=0, username="analyst", role="analyst")
        seen = visible_customers(session, guide, forecast)
        assert (seen.deferred_customers, seen.suppressed_customers) == ([c1], [])
        assert visible_customers(session, analyst, forecast) == forecast


def test_the_console_page_lists_templates_and_journeys_in_chinese(site: Site) -> None:
    with site.client("admin") as admin:
        number = admin.post("/api/v1/journeys", json={"template": "new_product_launch"}).json()[
            "id"
        ]
    with logged_in(site, "operator") as client:
        listing = client.get("/journeys")
        assert listing.status_code == 200
        assert "客户旅程" in listing.text
        assert "售后服务SOP" in listing.text
        assert f'data-journey-action="/api/v1/journeys/{number}/enable"' in listing.text
        token = csrf(listing.text)
        refused = client.post(f"/api/v1/journeys/{number}/enable")
        enabled = client.post(f"/api/v1/journeys/{number}/enable", headers={"X-CSRF-Token": token})
        assert (refused.status_code, enabled.status_code) == (403, 200)
        assert settled(lambda: client.get("/journeys").text.count("已启用")) == 1
        simulation = client.get(f"/journeys/{number}/simulate", params={"days": 5})
        assert simulation.status_code == 200
        assert 'id="journey-sends"' in simulation.text
        assert "各渠道每日发送量" in simulation.text
    with logged_in(site, "analyst") as client:
        page = client.get("/journeys")
        assert page.status_code == 200
        assert "data-journey-action" not in page.text
        assert "data-journey-template" not in page.text
