"""The JSON API over real HTTP: auth, roles, the guide's scope, imports, KPIs, the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from siyu.db.engine import transaction
from siyu.security.tables import AuditEntry
from tests.web.conftest import Site


def test_the_api_needs_a_login_or_a_token(site: Site) -> None:
    with site.client() as client:
        response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    with site.client() as client:
        client.headers["Authorization"] = "Bearer siyu_wrong"
        assert client.get("/api/v1/me").status_code == 401


def test_me_and_permissions(site: Site) -> None:
    with site.client("analyst") as client:
        me = client.get("/api/v1/me").json()
    assert (me["username"], me["role"], me["permissions"]) == ("analyst", "analyst", ["read"])


def test_customers_page_filter_and_masking(site: Site) -> None:
    with site.client("operator") as client:
        page = client.get("/api/v1/customers", params={"page_size": 2}).json()
        assert (page["total"], len(page["items"]), page["page_size"]) == (3, 2, 2)
        found = client.get("/api/v1/customers", params={"q": "13800000002"}).json()
        assert [item["id"] for item in found["items"]] == [site.customers["C2"]]
        assert found["items"][0]["phone"] == "+8613800000002"
    with site.client("analyst") as client:
        masked = client.get("/api/v1/customers", params={"q": "13800000002"}).json()
    assert masked["items"][0]["phone"] == "138****0002"


@pytest.mark.parametrize(
    ("role", "visible"),
    [("admin", {"C1", "C2", "C3"}), ("analyst", {"C1", "C2", "C3"}), ("guide", {"C1"})],
)
def test_who_sees_which_customers(site: Site, role: str, visible: set[str]) -> None:
    with site.client(role) as client:
        listed = {item["id"] for item in client.get("/api/v1/customers").json()["items"]}
        readable = {
            ref for ref, customer_id in site.customers.items()
            if client.get(f"/api/v1/customers/{customer_id}").status_code == 200
        }  # fmt: skip
    assert listed == {site.customers[ref] for ref in visible}
    assert readable == visible


def test_the_360(site: Site) -> None:
    with site.client("admin") as client:
        view = client.get(f"/api/v1/customers/{site.customers['C1']}").json()
    assert view["stage"] == "second_order"
    assert view["profile"]["orders"] == 2
    assert [order["order_id"] for order in view["activity"]["orders"]] == ["A2", "A1"]
    assert view["activity"]["contacts"][0]["staff"] == "guide_a"
    assert {identity["kind"] for identity in view["identities"]} >= {"phone", "external_userid"}


@pytest.mark.parametrize(("role", "status"), [("operator", 200), ("analyst", 403), ("guide", 403)])
def test_import_permissions_and_audit(site: Site, role: str, status: int) -> None:
    body = "order_id,customer_id,ordered_at,amount\nN1,C9,2026-03-01,50\nN2,C9,2026-03-02,oops\n"
    with site.client(role) as client:
        response = client.post(
            "/api/v1/imports",
            data={"format": "orders-csv"},
            files={"file": ("new.csv", body.encode(), "text/csv")},
        )
        assert response.status_code == status
        if status != 200:
            assert response.json()["error"]["code"] == "permission_denied"
            return
        result = response.json()
        assert (result["read"], result["inserted"], result["rejected"]) == (2, 1, 1)
        rejects = client.get(f"/api/v1/imports/{result['import_id']}/rejects.csv")
        runs = client.get("/api/v1/imports").json()
    assert rejects.status_code == 200
    assert rejects.text.lstrip("\ufeff").splitlines()[1].startswith("3,")
    assert runs["items"][0]["id"] == result["import_id"]
    with transaction(site.engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert (entry.username, entry.target) == (role, "new.csv")


def test_kpis_and_refresh(site: Site) -> None:
    with site.client("operator") as client:
        kpis = client.get("/api/v1/kpis", params={"from": "2026-01-01", "to": "2026-03-31"})
        refreshed = client.post("/api/v1/refresh", params={"as_of": "2026-04-01"})
        reversed_period = client.get(
            "/api/v1/kpis", params={"from": "2026-03-01", "to": "2026-01-01"}
        )
        far_future = client.get("/api/v1/kpis", params={"to": "9999-12-31"})
    assert kpis.status_code == 200
    assert (kpis.json()["orders"], kpis.json()["net_revenue"]) == (4, 680.0)
    assert refreshed.json()["mode"] == "incremental"
    assert reversed_period.status_code == 422
    assert far_future.status_code == 422
    assert "9999-12-31" in far_future.json()["error"]["message"]


def test_cookie_sessions_need_the_csrf_token_to_write(site: Site) -> None:
    with site.client() as client:
        login_page = client.get("/login")
        token = login_page.text.split('name="csrf-token" content="')[1].split('"')[0]
        client.post(
            "/login", data={"username": "operator", "password": "correct horse battery",
                            "csrf": token, "next": "/"},
        )  # fmt: skip
        assert client.get("/api/v1/me").status_code == 200
        stale = client.post("/api/v1/refresh", headers={"X-CSRF-Token": token})
        page = client.get("/customers").text  # logging in issues a fresh token
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        refused = client.post("/api/v1/refresh")
        accepted = client.post("/api/v1/refresh", headers={"X-CSRF-Token": token})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf")
    assert stale.status_code == 403
    assert accepted.status_code == 200
