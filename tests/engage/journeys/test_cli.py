"""`siyu journey …` through the CLI, with --json, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from siyu.cli.main import run
from siyu.db.engine import transaction
from siyu.engage.journeys.tables import Journey
from tests.builders import make_shop
from tests.engage.journeys.helpers import NOW, count, customers, document, hours, order, send

TICK = (NOW + hours(2)).isoformat()


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_journey_commands_with_json(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    who = customers(engine, 2)
    with transaction(engine) as session:
        shop = make_shop(session)
        for customer in who:
            order(session, shop, customer, NOW + hours(1))
    code, out, _ = invoke(capsys, "journey", "templates", "--json")
    assert code == 0
    assert len(json.loads(out)["templates"]) == 7
    code, out, _ = invoke(
        capsys, "--db", db_url, "journey", "create", "--template", "after_sales_sop", "--json"
    )
    assert code == 0
    created = json.loads(out)
    assert (created["status"], created["template"], created["name"]) == (
        "draft", "after_sales_sop", "售后服务SOP",
    )  # fmt: skip
    path = tmp_path / "journey.json"
    path.write_text(
        json.dumps(document({"type": "order_paid"}, [send()], name="付款关怀")), encoding="utf-8"
    )
    code, out, _ = invoke(
        capsys, "--db", db_url, "journey", "create", "--file", str(path), "--json"
    )
    paid = json.loads(out)["id"]
    code, out, _ = invoke(
        capsys, "--db", db_url, "journey", "enable", str(paid), "--now", NOW.isoformat(), "--json"
    )
    assert (code, json.loads(out)["status"]) == (0, "enabled")
    code, out, _ = invoke(
        capsys, "--db", db_url, "journey", "simulate", str(paid), "--days", "2", "--now", TICK,
        "--json",
    )  # fmt: skip
    forecast = json.loads(out)
    assert [(d["day"], d["enrolled"], d["sends"]) for d in forecast["days"]] == [
        ("2026-03-02", 2, {"console": 2}), ("2026-03-03", 0, {}),
    ]  # fmt: skip
    code, out, _ = invoke(capsys, "--db", db_url, "journey", "run", "--now", TICK, "--json")
    ran = json.loads(out)["journeys"]
    assert [(j["journey_id"], j["enrolled"], j["queued"]) for j in ran] == [(paid, 2, 2)]
    code, out, _ = invoke(capsys, "--db", db_url, "journey", "list", "--json")
    listed = {j["id"]: j for j in json.loads(out)["journeys"]}
    assert listed[paid]["enrolments"] == {"active": 0, "exited": 0, "completed": 2, "holdout": 0}
    code, out, _ = invoke(capsys, "--db", db_url, "journey", "disable", str(paid), "--json")
    assert json.loads(out)["status"] == "disabled"
    code, out, _ = invoke(capsys, "--db", db_url, "journey", "show", str(paid), "--json")
    assert json.loads(out)["definition"]["steps"][0]["content"]["text"] == "您好"


def test_user_mistakes_end_in_one_line(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "--db", db_url, "journey", "create", "--template", "nope")
    assert code == 1
    assert err.startswith("siyu: error: no template 'nope' (one of: after_sales_sop,")
    code, _, err = invoke(capsys, "--db", db_url, "journey", "enable", "99")
    assert (code, err) == (1, "siyu: error: no journey 99\n")
    code, _, err = invoke(capsys, "--db", db_url, "journey", "disable", "99")
    assert code == 1
    assert count(engine, Journey) == 0
