"""`siyu tier|points|coupon|referral` through the console script, with --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from siyu.cli.main import run
from tests.loyalty.support import customer_id, import_orders


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str], db_url: str) -> None:
        self.capsys, self.db_url = capsys, db_url

    def json(self, *args: str) -> Any:
        code, out, err = self.call(*args, "--json")
        assert (code, err) == (0, ""), err
        return json.loads(out)

    def call(self, *args: str) -> tuple[int, str, str]:
        code = run(["--db", self.db_url, *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], db_url: str) -> Cli:
    return Cli(capsys, db_url)


def test_tiers_and_points(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    import_orders(
        engine,
        tmp_path,
        [
            "A1,C1,13800000001,2026-03-01 10:00:00,1200.00,completed,,",
            "A2,C2,13800000002,2026-03-02 10:00:00,99.00,completed,,",
        ],
    )
    first = customer_id(engine, "C1")
    assert [level["code"] for level in cli.json("tier", "list")["levels"]] == [
        "normal",
        "silver",
        "gold",
        "black_gold",
    ]
    assert cli.json("tier", "recompute", "--as-of", "2026-03-10T00:00:00+00:00")["joined"] == 2
    shown = cli.json("tier", "show", str(first))
    assert (shown["current"]["tier"], shown["next_tier"]) == ("silver", "gold")
    assert cli.json("points", "sync", "--now", "2026-03-10")["earn_entries"] == 2
    assert cli.json("points", "balance", str(first))["balance"] == 1_200
    adjusted = cli.json(
        "points",
        "adjust",
        str(first),
        "--points",
        "-200",
        "--reason",
        "typo",
        "--operator",
        "li.na",
    )
    assert (adjusted["points"], adjusted["operator"]) == (-200, "li.na")
    history = cli.json("points", "history", str(first))["entries"]
    assert [(entry["kind"], entry["points"]) for entry in history] == [
        ("adjust", -200),
        ("earn", 1_200),
    ]
    code, out, err = cli.call(
        "points", "adjust", str(first), "--points", "-5000", "--reason", "x", "--operator", "y"
    )
    assert (code, out) == (1, "")
    assert err == f"siyu: error: customer {first} has 1000 points; 5000 asked\n"
    assert cli.json("points", "rules", "--validity-months", "24") == {
        "points_per_yuan": 1,
        "points_validity_months": 24,
    }
    assert cli.json("tier", "rules")["tier_grace_days"] == 30


def test_coupons(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2026-03-01 10:00:00,120.00,completed,,"])
    holder = customer_id(engine, "C1")
    template = cli.json(
        "coupon",
        "template-create",
        "满199减20",
        "--amount-off",
        "20",
        "--min-spend",
        "199",
        "--valid-days",
        "3650",
    )
    assert (template["amount_off_fen"], template["min_spend_fen"]) == (2_000, 19_900)
    issued = cli.json("coupon", "issue", str(template["id"]), "--customers", f"{holder},424242")
    assert (issued["issued"], issued["not_found"]) == (1, 1)
    code = issued["codes"][str(holder)]
    import_orders(
        engine, tmp_path, [f"A2,C1,13800000001,2030-01-01 10:00:00,250.00,paid,,{code}"], "b.csv"
    )
    assert cli.json("coupon", "sync")["redeemed"] == 1
    (results,) = cli.json("coupon", "results")["templates"]
    assert (results["redeemed"], results["redeeming_revenue_fen"]) == (1, 25_000)
    code_, _, err = cli.call("coupon", "issue", "1", "--customers", "abc")
    assert (code_, err) == (
        1,
        "siyu: error: give customer ids (digits) with --customers or --customers-file\n",
    )


def test_referrals(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    import_orders(engine, tmp_path, ["A1,C1,13800000001,2026-01-01 10:00:00,120.00,completed,,"])
    inviter = customer_id(engine, "C1")
    cli.json("referral", "rules", "--base-url", "https://shop.example.cn/i")
    invitation = cli.json("referral", "invite", str(inviter))
    assert invitation["link"] == f"https://shop.example.cn/i?code={invitation['code']}"
    import_orders(
        engine, tmp_path, ["B1,C2,13800000002,2026-03-05 10:00:00,99.00,completed,,"], "b.csv"
    )
    invitee = customer_id(engine, "C2")
    joined = cli.json(
        "referral", "join", invitation["code"].lower(), str(invitee), "--now", "2026-03-01"
    )
    assert joined["status"] == "pending"
    synced = cli.json("referral", "sync", "--now", "2026-03-06")
    assert (synced["rewarded"], synced["commissions"]["earned_entries"]) == (1, 0)
    tree = cli.json("referral", "tree", str(inviter))
    assert [(node["customer_id"], node["status"]) for node in tree["invitees"]] == [
        (invitee, "rewarded")
    ]
    stats = cli.json("referral", "stats", "--since", "2026-03-01")
    assert (stats["referrals"], stats["converted"], stats["tree_depth"]) == (1, 1, 1)
    code, _, err = cli.call(
        "referral", "review", str(joined["id"]), "--approve", "--operator", "li"
    )
    assert (code, err) == (
        1,
        f"siyu: error: referral {joined['id']} is rewarded, only flagged ones are reviewed\n",
    )
