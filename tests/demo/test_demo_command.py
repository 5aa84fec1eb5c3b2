"""`siyu demo` loads the brand through the real importers, once per database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siyu.cli.main import run
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
    truth = manifest.truth
    kpis = report["kpis"]
    # Every simulated person is at least one customer; masked phones never merge, so a person
    # who bought on several platforms may be several customers — but never fewer.
    assert kpis["customers"] >= truth.persons - truth.prospects + truth.prospects_with_events

    assert run(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["loaded"] is False
    assert again["kpis"]["customers"] == kpis["customers"]
