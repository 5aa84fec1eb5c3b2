"""`siyu demo` loads the brand through the real importers, once per database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from siyu.cli.main import run
from siyu.commerce.tables import Order
from siyu.customers.tables import BehaviourEvent
from siyu.db.engine import make_engine, transaction
from siyu.demo.manifest import DemoManifest


def test_demo_loads_once_and_matches_its_ground_truth(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    args = ["--db", db_url, "demo", "--customers", "400", "--dir", str(tmp_path / "d"), "--json"]
    assert run(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["loaded"] is True
    assert all(item["rejected"] == 0 for item in report["imports"])
    manifest = DemoManifest.load(tmp_path / "d" / "manifest.json")
    imported = {Path(item["file"]).name: item for item in report["imports"]}
    for demo_file in manifest.files:
        assert imported[demo_file.path.name]["read"] == demo_file.rows
    assert report["refresh"]["mode"] == "full"
    yesterday = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    assert report["demo"].endswith(f"three years to {yesterday}")  # the last whole day
    engine = make_engine(db_url)
    with transaction(engine) as session:  # nothing happened later than now
        latest = [session.scalar(select(func.max(column))) for column in
                  (Order.ordered_at, Order.paid_at, BehaviourEvent.occurred_at)]  # fmt: skip
    engine.dispose()
    assert all(moment is not None and moment <= datetime.now(UTC) for moment in latest)
    truth = manifest.truth
    kpis = report["kpis"]
    # Every simulated person is at least one customer; masked phones never merge, so a person
    # who bought on several platforms may be several customers — but never fewer.
    assert kpis["customers"] >= truth.persons - truth.prospects + truth.prospects_with_events

    assert run(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["loaded"] is False
    assert again["kpis"]["customers"] == kpis["customers"]
