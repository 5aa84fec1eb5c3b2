"""/api/v1/campaigns over real HTTP: the role matrix, the flow, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.db.engine import transaction
from siyu.engage.campaigns.tables import Campaign, CampaignRecipient
from siyu.engage.tables import OutboxMessage
from siyu.security.tables import AuditEntry
from tests.web.campaign_site import save_everyone
from tests.web.conftest import Site
from tests.web.test_console import csrf, logged_in


def body(segment: str, name: str = "春季回访", **extra: Any) -> dict[str, Any]:
    return {
        "name": name, "segment": segment, "channel": "console", "holdout_share": 0.0, "seed": 3,
        "variants": [{"key": "a", "text": "{name}，春季上新"}], **extra,
    }  # fmt: skip


def counts(site: Site) -> tuple[int, int, int]:
    with transaction(site.engine) as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Campaign, CampaignRecipient, OutboxMessage)
        )


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [("admin", 200, 201), ("operator", 200, 201), ("analyst", 200, 403), ("guide", 403, 403)],
)
def test_role_matrix(site: Site, role: str, reads: int, writes: int) -> None:
    segment = save_everyone(site)
    with site.client("admin") as admin:
        made = admin.post("/api/v1/campaigns", json=body(segment, name="已有"))
        assert made.status_code == 201
        existing = made.json()["id"]
    before = counts(site)
    with site.client(role) as client:
        created = client.post("/api/v1/campaigns", json=body(segment))
        assert created.status_code == writes
        for path in ("", f"/{existing}", f"/{existing}/preview", f"/{existing}/results"):
            assert client.get(f"/api/v1/campaigns{path}").status_code == reads, path
        launched = client.post(f"/api/v1/campaigns/{existing}/launch")
        assert launched.status_code == (200 if writes == 201 else 403)
    if writes == 403:
        assert created.json()["error"]["code"] == "permission_denied"
        assert counts(site) == before
    else:
        assert counts(site) == (before[0] + 1, before[1] + 3, before[2] + 3)


def test_create_preview_launch_results(site: Site) -> None:
    segment = save_everyone(site)
    with site.client("operator") as client:
        created = client.post("/api/v1/campaigns", json=body(segment)).json()
        assert (created["status"], created["segment"], created["created_by"]) == (
            "draft", segment, "operator"
        )  # fmt: skip
        preview = client.get(f"/api/v1/campaigns/{created['id']}/preview").json()
        assert (preview["audience"], preview["holdout"], preview["variants"]) == (3, 0, {"a": 3})
        assert preview["at_once"] + preview["later"] == 3
        assert counts(site) == (1, 0, 0)
        first = client.post(f"/api/v1/campaigns/{created['id']}/launch").json()
        assert (first["launched"], first["recipients"], first["plan"]["requested"]) == (True, 3, 3)
        again = client.post(f"/api/v1/campaigns/{created['id']}/launch").json()
        assert again == {
            "campaign_id": created["id"], "launched": False, "recipients": 0, "holdout": 0,
            "coupons": 0, "plan": None,
        }  # fmt: skip
        results = client.get(f"/api/v1/campaigns/{created['id']}/results").json()
        assert [arm["arm"] for arm in results["arms"]] == ["a", "holdout"]
        assert results["arms"][0]["customers"] == 3
        assert results["lifts"] == []  # no holdout to compare with
        listed = client.get("/api/v1/campaigns").json()
        assert [(c["id"], c["status"], c["recipients"]) for c in listed["items"]] == [
            (created["id"], "launched", 3)
        ]
        refused = client.get(f"/api/v1/campaigns/{created['id']}/preview")
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "wrong_campaign_status"
    with transaction(site.engine) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("campaign.%"))
        ).all()
    assert actions == ["campaign.create", "campaign.launch"]


REFUSALS: list[tuple[dict[str, Any], int, str | None]] = [
    ({"variants": [{"key": "a", "text": "{nmae}"}]}, 400, "invalid_template"),
    ({"segment": "无此分群"}, 404, "segment_not_found"),
    ({"channel": "fax"}, 400, "invalid_channel"),
    ({"holdout_share": 1.0}, 422, None),
    ({"scheduled_at": "2026-03-02T10:00:00"}, 422, None),  # no time zone
    ({"name": "a\u0000b"}, 422, None),
]


def test_refusals_change_nothing(site: Site) -> None:
    segment = save_everyone(site)
    before = counts(site)
    with site.client("operator") as client:
        for change, status, code in REFUSALS:
            answer = client.post("/api/v1/campaigns", json=body(segment) | change)
            assert answer.status_code == status, change
            if code:
                assert answer.json()["error"]["code"] == code
        assert client.get("/api/v1/campaigns/999").status_code == 404
        assert client.post("/api/v1/campaigns/999/launch").status_code == 404
    assert counts(site) == before


def test_console_pages_by_role(site: Site) -> None:
    segment = save_everyone(site)
    with site.client("admin") as admin:
        campaign_id = admin.post("/api/v1/campaigns", json=body(segment)).json()["id"]
    for role, status, form in (
        ("operator", 200, True),
        ("analyst", 200, False),
        ("guide", 403, False),
    ):
        with logged_in(site, role) as client:
            listing = client.get("/campaigns")
            detail = client.get(f"/campaigns/{campaign_id}")
            assert (listing.status_code, detail.status_code) == (status, status), role
            assert ('id="campaign-create"' in listing.text) is form
            assert ('id="launch"' in detail.text) is form
            if role == "analyst":  # a cookie session without the CSRF header may not launch
                refused = client.post(f"/api/v1/campaigns/{campaign_id}/launch")
                assert refused.status_code == 403
                token = csrf(listing.text)
                denied = client.post(
                    f"/api/v1/campaigns/{campaign_id}/launch", headers={"X-CSRF-Token": token}
                )
                assert denied.json()["error"]["code"] == "permission_denied"
    assert counts(site) == (1, 0, 0)
