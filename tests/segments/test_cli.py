"""`siyu segment …` and `siyu tag …` through the CLI's public entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from siyu.cli.main import run
from tests.segments.merchant import build, refresh


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(path: Path, document: object) -> str:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


RULE = {
    "version": 1,
    "rule": {
        "and": [
            {"field": "stage", "op": "in", "value": ["first_order", "prospect"]},
            {"event": {"types": ["favourite", "cart"], "category": "护肤", "within_days": 14}},
        ]
    },
}


def test_count_save_list_members_explain(
    capsys: pytest.CaptureFixture[str], engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ids = build(engine, tmp_path)
    refresh(db_url, "2026-06-15")
    capsys.readouterr()
    rule = write(tmp_path / "rule.json", RULE)
    db = ("--db", db_url)
    code, out, err = invoke(capsys, *db, "segment", "count", rule, "--as-of", "2026-06-15")
    assert (code, out, err) == (0, "2 customers (as of 2026-06-15)\n", "")
    code, out, _ = invoke(capsys, *db, "segment", "count", rule, "--as-of", "2026-07-15", "--json")
    assert json.loads(out)["count"] == 0

    code, out, _ = invoke(capsys, *db, "segment", "save", "护肤加购", rule, "--as-of", "2026-06-15")
    assert (code, out) == (0, "护肤加购: 2 members (+2 entered, −0 exited)\n")
    code, out, _ = invoke(capsys, *db, "segment", "list", "--json")
    listed = {s["name"]: s for s in json.loads(out)["segments"]}
    assert listed["护肤加购"]["members"] == 2
    assert listed["二购目标"]["code"] == "second_order_targets"

    code, out, _ = invoke(capsys, *db, "segment", "members", "护肤加购", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(int(r["customer_id"]), r["stage"]) for r in rows] == sorted(
        [(ids["C1"], "first_order"), (ids["P1"], "prospect")]
    )
    assert set(rows[0]) == {
        "customer_id",
        "stage",
        "rfm_segment",
        "orders",
        "net_revenue_fen",
        "clv_fen",
        "p_alive",
        "last_order_on",
        "entered_at",
    }

    explain = ("segment", "explain", "护肤加购", str(ids["C2"]), "--as-of", "2026-06-15")
    code, out, _ = invoke(capsys, *db, *explain)
    assert out.splitlines() == [
        f"customer {ids['C2']} does not match 护肤加购 as of 2026-06-15",
        "  ✗ and",
        "    ✗ stage in [first_order, prospect]   (value: second_order)",
        "    ✗ event favourite|cart in category 护肤 in the last 14 days   (value: 0)",
    ]
    code, out, _ = invoke(capsys, *db, *explain, "--json")
    assert json.loads(out)["is_match"] is False


def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    bad = write(tmp_path / "bad.json", {"version": 1, "rule": {"field": "stage", "op": ">"}})
    code, out, err = invoke(capsys, "--db", db_url, "segment", "count", bad)
    assert (code, out) == (1, "")
    assert err == (
        "siyu: error: $.rule.op: operator '>' does not apply to stage (text): use one of =, !=, "
        "in, not_in, is_null, is_not_null\n"
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1,', encoding="utf-8")
    code, _, err = invoke(capsys, "--db", db_url, "segment", "count", str(broken))
    assert (code, err) == (
        1,
        f"siyu: error: {broken} is not JSON: Expecting property name "
        "enclosed in double quotes at line 1 column 15\n",
    )
    code, _, err = invoke(capsys, "--db", db_url, "segment", "members", "nope")
    assert (code, err) == (1, "siyu: error: no segment 'nope' (see `siyu segment list`)\n")


def test_tag_add_remove_list(
    capsys: pytest.CaptureFixture[str], engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ids = build(engine, tmp_path)
    refresh(db_url, "2026-06-15")
    capsys.readouterr()
    db = ("--db", db_url)
    people = tmp_path / "people.txt"
    people.write_text(f"customer_id\n{ids['C1']}\n13800138000\n", encoding="utf-8")
    code, out, _ = invoke(capsys, *db, "tag", "group", "会员等级", "--exclusive")
    assert out == "tag group 会员等级: exclusive\n"
    code, out, _ = invoke(
        capsys,
        *db,
        "tag",
        "add",
        "金卡",
        "--group",
        "会员等级",
        "--file",
        str(people),
        "--customer",
        str(ids["C2"]),
    )
    assert (code, out) == (0, "金卡: +3 added, −0 removed\n")
    code, out, _ = invoke(
        capsys,
        *db,
        "tag",
        "add",
        "银卡",
        "--group",
        "会员等级",
        "--customer",
        str(ids["C2"]),
        "--json",
    )
    assert json.loads(out) == {
        "tag": "银卡",
        "added": 1,
        "removed": 0,
        "removed_from_group": 1,
        "skipped": None,
    }
    code, out, _ = invoke(capsys, *db, "tag", "add", "试用", "--segment", "semi_private_targets")
    assert out == "试用: +2 added, −0 removed\n"
    code, out, _ = invoke(capsys, *db, "tag", "remove", "试用", "--customer", str(ids["P1"]))
    assert out == "试用: +0 added, −1 removed\n"
    code, out, _ = invoke(capsys, *db, "tag", "list")
    assert out.splitlines() == [
        "试用: 1 customers, manual",
        "会员等级/金卡 (exclusive group): 2 customers, manual",
        "会员等级/银卡 (exclusive group): 1 customers, manual",
        "身份/合伙人: 0 customers, manual",
    ]
    code, _, err = invoke(capsys, *db, "tag", "add", "金卡", "--group", "会员等级")
    assert (code, err) == (
        1,
        "siyu: error: say which customers: ids, a file of ids/phones, or a segment\n",
    )
