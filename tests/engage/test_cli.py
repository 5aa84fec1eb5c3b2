"""`siyu worker`, `siyu outbox`, `siyu consent` and `siyu quota` through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from siyu.cli.main import run
from siyu.db.engine import transaction
from siyu.engage.content import Content
from siyu.engage.governor.policy import ContactPolicy
from siyu.engage.planner import PlanBatch, plan
from tests.builders import make_customer
from tests.snapshot import snapshot


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def planned(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setenv("SIYU_QUIET_HOURS", "off")
    monkeypatch.setenv("SIYU_DEFAULT_HOUR", "none")
    now = datetime.now(UTC)
    with transaction(engine) as session:
        ids = [make_customer(session).id for _ in range(3)]
        plan(
            session,
            [
                PlanBatch(
                    "campaign:7",
                    "console",
                    "d1",
                    Content("春季上新"),
                    now,
                    now + timedelta(days=2),
                    customer_ids=ids,
                )
            ],
            policy=ContactPolicy(quiet_start=0, quiet_end=0, default_hour=None),
            now=now,
        )
    return ids


def test_the_worker_sends_what_is_due(
    db_url: str, planned: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = invoke(capsys, "--db", db_url, "worker", "--once", "--json", "--name", "cli")
    assert code == 0
    assert json.loads(out) == {"batches": 2, "claimed": 3, "delivered": 3}
    code, out, _ = invoke(capsys, "--db", db_url, "outbox", "list", "--json")
    listed = json.loads(out)
    assert listed["counts"] == {"delivered": 3}
    assert [m["idempotency_key"] for m in listed["messages"]] == [
        f"campaign:7|c{i}|console|d1" for i in reversed(planned)
    ]
    code, out, _ = invoke(
        capsys, "--db", db_url, "outbox", "show", "campaign:7|c1|console|d1", "--json"
    )
    shown = json.loads(out)
    assert (shown["state"], shown["content"]["text"], len(shown["attempts"])) == (
        "delivered",
        "春季上新",
        1,
    )
    assert shown["attempts"][0]["worker"] == "cli"


def test_consent_and_quota(
    db_url: str, planned: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    who = str(planned[0])
    code, out, _ = invoke(
        capsys,
        "--db",
        db_url,
        "consent",
        "set",
        who,
        "--channel",
        "console",
        "--purpose",
        "marketing",
        "--refuse",
        "--source",
        "phone call",
        "--json",
    )
    assert (code, json.loads(out)["suppressed"]) == (0, 1)
    code, out, _ = invoke(capsys, "--db", db_url, "consent", "show", who, "--json")
    shown = json.loads(out)
    assert shown["effective"]["console"] == {
        "marketing": False,
        "personalised": False,
        "service": True,
    }
    assert shown["effective"]["sms"]["marketing"] is False
    assert shown["recorded"] == [{"channel": "console", "purpose": "marketing", "granted": False}]
    code, out, _ = invoke(capsys, "--db", db_url, "quota", "show", str(planned[1]), "--json")
    quota = json.loads(out)
    assert quota["all_channels"]["used_today"] == 1
    assert quota["all_channels"]["left_today"] == 0
    assert quota["wecom_quota"]["mode"] == "month"


def test_mistakes_are_one_line_and_change_nothing(
    db_url: str, engine: Engine, planned: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(engine)
    code, _, err = invoke(
        capsys,
        "--db",
        db_url,
        "consent",
        "set",
        "1",
        "--channel",
        "fax",
        "--purpose",
        "marketing",
        "--grant",
    )
    assert (code, err) == (
        1,
        "siyu: error: channel 'fax' is not one of all, wecom, sms, email, webhook, console\n",
    )
    code, _, err = invoke(capsys, "--db", db_url, "quota", "show", "999")
    assert (code, err) == (1, "siyu: error: no customer 999\n")
    code, _, err = invoke(capsys, "--db", db_url, "outbox", "show", "nope")
    assert (code, err) == (1, "siyu: error: no outbox message 'nope'\n")
    assert snapshot(engine) == before


def test_bad_settings_are_refused_in_one_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIYU_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("SIYU_WEBHOOK_SECRET", "short")
    code, _, err = invoke(capsys, "--db", db_url, "worker", "--once")
    assert (code, err) == (
        1,
        "siyu: error: SIYU_WEBHOOK_SECRET must be set (at least 16 characters) "
        "with SIYU_WEBHOOK_URL\n",
    )
    monkeypatch.setenv("SIYU_WEBHOOK_SECRET", "long-enough-secret-123")
    monkeypatch.setenv("SIYU_WECOM_QUOTA", "yearly")
    code, _, err = invoke(capsys, "--db", db_url, "worker", "--once")
    assert (code, err) == (1, "siyu: error: SIYU_WECOM_QUOTA='yearly': use month, week or day\n")
