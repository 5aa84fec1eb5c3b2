"""`siyu campaign …` through the CLI, with --json outputs asserted exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine

from siyu.cli.main import run
from tests.engage.campaigns.fixtures import make_audience
from tests.snapshot import snapshot


def invoke(capsys: pytest.CaptureFixture[str], db_url: str, *args: str) -> tuple[int, Any, str]:
    code = run(["--db", db_url, "campaign", *args])
    captured = capsys.readouterr()
    return (
        code,
        json.loads(captured.out) if captured.out.startswith("{") else captured.out,
        (captured.err),
    )


@pytest.fixture
def open_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_QUIET_HOURS", "off")
    monkeypatch.setenv("SIYU_DEFAULT_HOUR", "none")


def test_create_preview_launch_send_and_read_results(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str], open_policy: None
) -> None:
    audience = make_audience(engine, {"loyal": 8, "first_order": 2})
    code, created, _ = invoke(
        capsys, db_url, "create", "--name", "回访", "--segment", audience.segment,
        "--channel", "console", "--variant", "a:3={name}，春季上新", "--variant", "b=新品八折",
        "--holdout", "0.5", "--seed", "5", "--json",
    )  # fmt: skip
    assert code == 0
    campaign = str(created["id"])
    assert {k: created[k] for k in ("name", "segment", "channel", "status", "holdout_share")} == {
        "name": "回访", "segment": "春季老客", "channel": "console", "status": "draft",
        "holdout_share": 0.5,
    }  # fmt: skip
    assert [(v["key"], v["weight"], v["text"]) for v in created["variants"]] == [
        ("a", 3, "{name}，春季上新"), ("b", 1, "新品八折"),
    ]  # fmt: skip
    _, listed, _ = invoke(capsys, db_url, "list", "--json")
    assert [(c["id"], c["status"], c["recipients"]) for c in listed["campaigns"]] == [
        (created["id"], "draft", 0)
    ]
    _, preview, _ = invoke(capsys, db_url, "preview", campaign, "--json")
    assert preview == {
        "campaign_id": created["id"], "audience": 10, "holdout": 5,
        "strata": [{"stratum": "first_order", "audience": 2, "holdout": 1},
                   {"stratum": "loyal", "audience": 8, "holdout": 4}],
        "variants": {"a": 4, "b": 1}, "at_once": 5, "later": 0, "suppressed": {},
        "already_planned": 0,
    }  # fmt: skip
    _, launched, _ = invoke(capsys, db_url, "launch", campaign, "--json")
    assert (launched["launched"], launched["recipients"], launched["holdout"]) == (True, 10, 5)
    assert (launched["plan"]["queued"], launched["plan"]["suppressed"]) == (5, {})
    _, again, _ = invoke(capsys, db_url, "launch", campaign, "--json")
    assert again["launched"] is False
    assert run(["--db", db_url, "worker", "--once", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["delivered"] == 5
    _, results, _ = invoke(capsys, db_url, "results", campaign, "--json")
    assert results["final"] is False
    assert results["arms"] == [
        {"arm": "a", "customers": 4, "converters": 0, "conversion_rate": 0.0, "revenue": 0.0,
         "revenue_per_customer": 0.0, "messages": {"delivered": 4}},
        {"arm": "b", "customers": 1, "converters": 0, "conversion_rate": 0.0, "revenue": 0.0,
         "revenue_per_customer": 0.0, "messages": {"delivered": 1}},
        {"arm": "all", "customers": 5, "converters": 0, "conversion_rate": 0.0, "revenue": 0.0,
         "revenue_per_customer": 0.0, "messages": {"delivered": 5}},
        {"arm": "holdout", "customers": 5, "converters": 0, "conversion_rate": 0.0,
         "revenue": 0.0, "revenue_per_customer": 0.0, "messages": {}},
    ]  # fmt: skip
    assert [lift["arm"] for lift in results["lifts"]] == ["a", "b", "all"]
    assert results["lifts"][2]["conversion"]["estimate"] == 0.0
    _, due, _ = invoke(capsys, db_url, "launch-due", "--json")
    assert due == {"launched": []}
    _, cancelled, _ = invoke(capsys, db_url, "cancel", campaign, "--json")
    assert cancelled == {"campaign_id": created["id"], "status": "cancelled", "suppressed": 0}


def test_mistakes_are_one_line_and_change_nothing(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    audience = make_audience(engine, {"loyal": 2})
    before = snapshot(engine)
    code, _, err = invoke(
        capsys, db_url, "create", "--name", "x", "--segment", audience.segment,
        "--channel", "console", "--variant", "a=你好 {nmae}",
    )  # fmt: skip
    assert (code, err) == (
        1,
        "siyu: error: variants[a].text: unknown placeholder {nmae} "
        "(known: {name}, {last_product}, {coupon})\n",
    )
    code, _, err = invoke(
        capsys, db_url, "create", "--name", "x", "--segment", "无此分群",
        "--channel", "console", "--variant", "a=你好",
    )  # fmt: skip
    assert (code, err) == (1, "siyu: error: no segment '无此分群' (see `siyu segment list`)\n")
    code, _, err = invoke(
        capsys, db_url, "create", "--name", "x", "--segment", audience.segment,
        "--channel", "fax", "--variant", "a=你好",
    )  # fmt: skip
    assert (code, err) == (
        1, "siyu: error: channel 'fax' is not one of wecom, sms, email, webhook, console\n"
    )  # fmt: skip
    code, _, err = invoke(capsys, db_url, "show", "999")
    assert (code, err) == (1, "siyu: error: no campaign 999 (see `siyu campaign list`)\n")
    code, _, err = invoke(capsys, db_url, "launch", "999")
    assert (code, err) == (1, "siyu: error: no campaign 999 (see `siyu campaign list`)\n")
    assert snapshot(engine) == before
