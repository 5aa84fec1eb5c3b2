"""The role matrix of the segments, tags, outbox and settings endpoints: each role × each
endpoint is allowed (2xx) or refused with 403 and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.db.engine import transaction
from siyu.merchant.tables import MerchantSetting
from siyu.security.tables import AuditEntry
from siyu.segments.tables import CustomerTag, Segment, Tag
from tests.web.conftest import Site
from tests.web.console_world import plan_messages

ROLES = ("admin", "operator", "analyst", "guide")
RULE = {"version": 1, "rule": {"field": "orders", "op": ">=", "value": 1}}
POLICY = {"cap_per_day": 2, "cap_per_week": 5, "quiet_start": 22, "quiet_end": 8,
          "default_hour": 10, "repeat_days": 7}  # fmt: skip
LIFECYCLE = {"loyal_min_purchases": 3, "dormant_factor": 2.0, "churn_factor": 4.0,
             "fallback_interval_days": 90.0, "category_half_life_days": 180.0}  # fmt: skip
# (method, path, body, roles allowed); {segment} and {message} are filled in
ENDPOINTS: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "/api/v1/segments", None, set(ROLES)),
    ("POST", "/api/v1/segments/count", {"rule": RULE}, set(ROLES)),
    ("GET", "/api/v1/segments/{segment}", None, set(ROLES)),
    ("GET", "/api/v1/segments/{segment}/members", None, set(ROLES)),
    ("GET", "/api/v1/segments/{segment}/explain/{c1}", None, set(ROLES)),
    ("POST", "/api/v1/segments", {"name": "新的", "rule": RULE}, {"admin", "operator"}),
    ("PUT", "/api/v1/segments/{segment}", {"rule": RULE}, {"admin", "operator"}),
    ("DELETE", "/api/v1/segments/{segment}", None, {"admin", "operator"}),
    ("GET", "/api/v1/tags", None, set(ROLES)),
    ("POST", "/api/v1/tags", {"name": "新标签"}, {"admin", "operator"}),
    ("POST", "/api/v1/tags/customers", {"tag": "新标签", "customer_ids": ["{c1}"]},
     {"admin", "operator"}),
    ("GET", "/api/v1/outbox", None, {"admin", "operator", "guide"}),
    ("GET", "/api/v1/outbox/{message}", None, {"admin", "operator", "guide"}),
    ("GET", "/api/v1/settings", None, set(ROLES)),
    ("PUT", "/api/v1/settings/contact-policy", POLICY, {"admin"}),
    ("PUT", "/api/v1/settings/lifecycle", LIFECYCLE, {"admin"}),
]  # fmt: skip


def state(site: Site) -> tuple[int, ...]:
    with transaction(site.engine) as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Segment, Tag, CustomerTag, MerchantSetting, AuditEntry)
        )


def fill(value: Any, names: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {key: fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, names) for item in value]
    if value == "{c1}":
        return names["c1"]
    return value


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(site: Site, role: str) -> None:
    plan_messages(site.engine, [site.customers["C1"]])
    with site.client("admin") as client:
        segment = client.post("/api/v1/segments", json={"name": "旧的", "rule": RULE}).json()["id"]
        message = client.get("/api/v1/outbox").json()["items"][0]["id"]
    names = {"segment": segment, "message": message, "c1": site.customers["C1"]}
    outcomes: dict[str, int] = {}
    with site.client(role) as client:
        for method, path, body, allowed in ENDPOINTS:
            url = path.format(**names)
            before = state(site)
            response = client.request(method, url, json=fill(body, names))
            key = f"{method} {path}"
            outcomes[key] = response.status_code
            if role in allowed:
                assert response.status_code < 300, (key, response.text)
            else:
                assert response.status_code == 403, (key, response.text)
                assert response.json()["error"]["code"] == "permission_denied"
                assert state(site) == before, key
    assert len(outcomes) == len(ENDPOINTS)
