"""`siyu import` and `siyu customers` through the CLI, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siyu.cli.main import run

ORDERS = (
    "order_id,customer_id,phone,ordered_at,amount,status,shop\n"
    "A1,C1,13800138000,2026-06-01 10:00:00,59.80,completed,Tmall\n"
    "A2,C1,,2026-06-09 10:00:00,20.00,paid,Tmall\n"
    "A3,C2,13900139000,2026-06-02,x,paid,Tmall\n"
)


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_then_show(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS, encoding="utf-8")
    rejects = str(tmp_path / "rejects")
    args = ["--db", db_url, "import", "orders-csv", str(path), "--rejects-dir", rejects, "--json"]
    code, out, err = invoke(capsys, *args)
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert {key: report[key] for key in ("read", "inserted", "rejected")} == {
        "read": 3,
        "inserted": 2,
        "rejected": 1,
    }
    assert Path(report["files"][0]["rejects_file"]).exists()

    code, out, _ = invoke(capsys, *args)
    assert json.loads(out)["unchanged"] == 2

    code, out, _ = invoke(capsys, "--db", db_url, "customers", "find", "13800138000", "--json")
    [customer_id] = json.loads(out)["customer_ids"]
    code, out, _ = invoke(capsys, "--db", db_url, "customers", "show", str(customer_id), "--json")
    shown = json.loads(out)
    assert shown["orders"] == 2
    assert shown["net_revenue_fen"] == 7980
    assert {identity["kind"] for identity in shown["identities"]} == {"phone", "customer_ref"}


def test_import_of_a_missing_file_is_one_line(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    code, _, err = invoke(capsys, "--db", db_url, "import", "taobao", str(tmp_path / "no.csv"))
    assert code == 1
    assert err == f"siyu: error: {tmp_path / 'no.csv'}: no such file\n"


def test_show_of_an_unknown_customer(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    code, _, err = invoke(capsys, "--db", db_url, "customers", "show", "999")
    assert (code, err) == (1, "siyu: error: no customer 999\n")


def test_wecom_callback_events_mark_the_churn_signal(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    contacts = {
        "errcode": 0, "errmsg": "ok",
        "external_contact_list": [{
            "external_contact": {"external_userid": "wmX1", "name": "张三", "type": 1},
            "follow_info": {"userid": "guide1", "createtime": 1767225600, "tag_id": []},
        }],
    }  # fmt: skip
    event = {
        "ToUserName": "ww1", "FromUserName": "sys", "CreateTime": 1767312000, "MsgType": "event",
        "Event": "change_external_contact", "ChangeType": "del_follow_user",
        "UserID": "guide1", "ExternalUserID": "wmX1",
    }  # fmt: skip
    (tmp_path / "c.json").write_text(json.dumps(contacts), encoding="utf-8")
    (tmp_path / "e.jsonl").write_text(json.dumps(event) + "\n", encoding="utf-8")
    assert run(["--db", db_url, "import", "wecom-contacts", str(tmp_path / "c.json")]) == 0
    args = ["--db", db_url, "import", "wecom-events", str(tmp_path / "e.jsonl"), "--json"]
    assert run(args) == 0
    capsys.readouterr()
    assert run(args) == 0  # a replay is a duplicate, not a second removal
    counts = json.loads(capsys.readouterr().out)["files"][str(tmp_path / "e.jsonl")]
    assert (counts["received"], counts["duplicates"]) == (1, 1)
    assert run(["--db", db_url, "refresh", "--as-of", "2026-01-10", "--json"]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "customers", "find", "wmX1", "--json"]) == 0
    [customer_id] = json.loads(capsys.readouterr().out)["customer_ids"]
    assert run(["--db", db_url, "customers", "show", str(customer_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["stage"] == "churned"
    assert shown["profile"]["deleted_staff"] is True
    assert shown["profile"]["reachable"] is False
