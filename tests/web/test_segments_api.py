"""Segments and tags through the API on both databases: draft counts, errors with JSON paths,
saving, members, explanations, tags; the guide's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from siyu.db.engine import transaction
from siyu.security.tables import AuditEntry
from siyu.segments.tables import CustomerTag, Segment
from tests.web.conftest import Site


def rule(condition: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "rule": condition}


ONE_ORDER = rule({"field": "orders", "op": ">=", "value": 1})
BIG_SPENDERS = rule({"field": "net_revenue_fen", "op": ">=", "value": 15_000})


def test_a_draft_rule_counts_exactly(site: Site) -> None:
    with site.client("operator") as client:
        counts = [
            client.post("/api/v1/segments/count", json={"rule": document}).json()
            for document in (
                ONE_ORDER,
                BIG_SPENDERS,
                rule({"and": [{"field": "orders", "op": "=", "value": 1},
                              {"field": "net_revenue_fen", "op": "<", "value": 10_000}]}),
                rule({"or": [{"field": "orders", "op": ">=", "value": 2},
                             {"field": "net_revenue_fen", "op": "<", "value": 10_000}]}),
            )
        ]  # fmt: skip
    assert [c["count"] for c in counts] == [3, 2, 1, 2]
    assert all(c["errors"] == [] for c in counts)


def test_a_wrong_rule_answers_its_errors_with_json_paths(site: Site) -> None:
    wrong = [
        (rule({"and": [{"field": "orders", "op": ">=", "value": 1},
                       {"field": "stag", "op": "=", "value": "loyal"}]}),
         "$.rule.and[1].field", "unknown_field"),
        (rule({"field": "stage", "op": ">", "value": "loyal"}), "$.rule.op", "wrong_operator"),
        (rule({"field": "orders", "op": "=", "value": "two"}), "$.rule.value", "wrong_value_type"),
        ({"version": 2, "rule": {}}, "$.version", "version_mismatch"),
        ([1, 2], "$", "wrong_value_type"),
    ]  # fmt: skip
    with site.client("analyst") as client:
        answers = [
            client.post("/api/v1/segments/count", json={"rule": document}) for document, *_ in wrong
        ]
    assert [a.status_code for a in answers] == [200] * len(wrong)
    found = [(a.json()["count"], a.json()["errors"][0]["path"]) for a in answers]
    assert found == [(None, path) for _, path, _ in wrong]
    assert [a.json()["errors"][0]["code"] for a in answers][:4] == [code for *_, code in wrong][:4]
    assert "unknown field 'stag'" in answers[0].json()["errors"][0]["message"]


def test_save_read_change_and_delete_a_segment(site: Site) -> None:
    with site.client("operator") as client:
        created = client.post(
            "/api/v1/segments",
            json={"name": "大客户", "description": "¥150+", "rule": BIG_SPENDERS},
        )
        assert created.status_code == 201, created.text
        segment_id = created.json()["id"]
        assert (created.json()["members"], created.json()["entered"]) == (2, 2)
        twice = client.post("/api/v1/segments", json={"name": "大客户", "rule": ONE_ORDER})
        detail = client.get(f"/api/v1/segments/{segment_id}").json()
        changed = client.put(f"/api/v1/segments/{segment_id}", json={"rule": ONE_ORDER}).json()
        members = client.get(f"/api/v1/segments/{segment_id}/members", params={"page_size": 2})
        listed = {s["name"]: s["members"] for s in client.get("/api/v1/segments").json()}
        why = client.get(f"/api/v1/segments/{segment_id}/explain/{site.customers['C3']}").json()
        invalid = client.put(
            f"/api/v1/segments/{segment_id}", json={"rule": rule({"field": "nope"})}
        )
        deleted = client.delete(f"/api/v1/segments/{segment_id}")
        gone = client.get(f"/api/v1/segments/{segment_id}")
    assert (twice.status_code, twice.json()["error"]["code"]) == (422, "invalid_input")
    assert (detail["name"], detail["members"], detail["rule"]) == ("大客户", 2, BIG_SPENDERS)
    assert [(c["members"], c["entered"], c["exited"]) for c in detail["counts"]] == [(2, 2, 0)]
    assert (changed["members"], changed["entered"], changed["exited"]) == (3, 1, 0)
    page = members.json()
    assert (page["total"], len(page["items"])) == (3, 2)
    assert [m["customer_id"] for m in page["items"]] == sorted(site.customers.values())[:2]
    assert listed["大客户"] == 3
    assert (why["is_match"], why["tree"]["value"]) == (True, 1)
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (422, "invalid_rule")
    assert invalid.json()["error"]["message"].startswith("$.rule.op: missing 'op'")
    assert (deleted.status_code, gone.status_code) == (204, 404)
    with transaction(site.engine) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("segment.")] == [
        "segment.save", "segment.save", "segment.delete"
    ]  # fmt: skip


def test_a_guide_counts_and_lists_only_their_customers(site: Site) -> None:
    with site.client("admin") as client:
        segment_id = client.post(
            "/api/v1/segments", json={"name": "买过", "rule": ONE_ORDER}
        ).json()["id"]
    with site.client("guide") as client:
        count = client.post("/api/v1/segments/count", json={"rule": ONE_ORDER}).json()
        members = client.get(f"/api/v1/segments/{segment_id}/members").json()
        own = client.get(f"/api/v1/segments/{segment_id}/explain/{site.customers['C1']}")
        other = client.get(f"/api/v1/segments/{segment_id}/explain/{site.customers['C2']}")
    assert count["count"] == 1
    assert (members["total"], [m["customer_id"] for m in members["items"]]) == (
        1, [site.customers["C1"]]
    )  # fmt: skip
    assert (own.status_code, other.status_code) == (200, 404)


def test_tags_create_apply_and_count(site: Site) -> None:
    with site.client("operator") as client:
        segment_id = client.post(
            "/api/v1/segments", json={"name": "大客户", "rule": BIG_SPENDERS}
        ).json()["id"]
        created = client.post("/api/v1/tags", json={"name": "金卡", "group": "会员等级",
                                                     "exclusive": True})  # fmt: skip
        added = client.post(
            "/api/v1/tags/customers",
            json={"tag": "金卡", "group": "会员等级", "segment_id": segment_id,
                  "customer_ids": [site.customers["C3"]]},
        ).json()  # fmt: skip
        unknown = client.post(
            "/api/v1/tags/customers", json={"tag": "金卡", "customer_ids": [999_999]}
        )
        beyond = client.post(  # beyond BIGINT: PostgreSQL refused it with a 500
            "/api/v1/tags/customers", json={"tag": "金卡", "customer_ids": [2**63]}
        )
        removed = client.post(
            "/api/v1/tags/customers",
            json={"tag": "金卡", "action": "remove", "customer_ids": [site.customers["C3"]]},
        ).json()
        groups = client.get("/api/v1/tags").json()
    assert created.status_code == 201
    assert (added["added"], added["removed"]) == (3, 0)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (
        422, "invalid_customer_selection"
    )  # fmt: skip
    assert beyond.status_code == 422
    assert (removed["added"], removed["removed"]) == (0, 1)
    assert groups == [
        {"name": "会员等级", "is_exclusive": True,
         "tags": [{"name": "金卡", "provenance": "manual", "customers": 2, "wecom_tag_id": None}]}
    ]  # fmt: skip
    with transaction(site.engine) as session:
        assert session.scalar(select(func.count()).select_from(CustomerTag)) == 2
        assert session.scalar(select(func.count()).select_from(Segment)) >= 1


def test_the_360_lists_the_customers_segments_and_explains_them_on_request(site: Site) -> None:
    c1, c3 = site.customers["C1"], site.customers["C3"]
    with site.client("operator") as client:
        client.post("/api/v1/segments", json={"name": "大客户", "rule": BIG_SPENDERS})
        plain = client.get(f"/api/v1/customers/{c1}").json()["segments"]
        explained = client.get(f"/api/v1/customers/{c1}", params={"explain": "true"}).json()
        outside = client.get(f"/api/v1/customers/{c3}").json()["segments"]
    assert [(s["name"], s["explanation"]) for s in plain] == [("大客户", None)]
    [segment] = explained["segments"]
    assert segment["explanation"] == {
        "path": "$.rule", "condition": "net_revenue_fen >= 15000", "holds": True, "value": 40000,
    }  # fmt: skip
    assert outside == []
