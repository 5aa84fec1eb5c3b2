"""WeCom callback events into the store; replies, opt-outs, clicks and learned hours."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from siyu.accounts.tables import WecomContact
from siyu.commerce.tables import Order
from siyu.customers.tables import CustomerChange, CustomerIdentity
from siyu.db.engine import transaction
from siyu.engage.content import Content
from siyu.engage.governor.hours import learn_contact_hours
from siyu.engage.interactions import (
    is_opt_out,
    make_unsubscribe_token,
    record_sms_uplink,
    unsubscribe,
)
from siyu.engage.tables import Consent, ContactHours, OutboxMessage
from siyu.engage.wecom.apply import apply_callback_events, apply_callback_file
from siyu.engage.wecom.callback import CallbackQuery, receive
from siyu.engage.wecom.crypto import WXBizMsgCrypt
from siyu.engage.wecom.events import event_from_fields
from tests.builders import make_customer, make_order, make_shop

T0 = 1_772_400_000  # 2026-03-01 21:20 UTC


def event(
    change: str, external: str = "wmA1", at: int = T0, user: str = "guide1", **extra: str
) -> dict[str, object]:
    return {
        "ToUserName": "wwcorp",
        "FromUserName": "sys",
        "CreateTime": at,
        "MsgType": "event",
        "Event": "change_external_contact",
        "ChangeType": change,
        "UserID": user,
        "ExternalUserID": external,
        **extra,
    }


def contacts(engine: Engine) -> list[tuple[str, int | None, str | None, str | None]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(
                WecomContact.external_userid,
                WecomContact.customer_id,
                WecomContact.state,
                WecomContact.removed_by,
            ).order_by(WecomContact.external_userid)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_events_create_link_and_remove_contacts(engine: Engine) -> None:
    events = [
        event("add_external_contact", "wmA1", T0, State="pkgcard_tmall"),
        event("add_external_contact", "wmB2", T0 + 1),
        event("del_follow_user", "wmA1", T0 + 100),
        event("del_external_contact", "wmB2", T0 + 200),
        event("add_external_contact", "wmA1", T0, State="pkgcard_tmall"),  # WeCom's retry
    ]
    with transaction(engine) as session:
        counts = apply_callback_events(session, [event_from_fields(e) for e in events])
        identity = session.scalar(
            select(CustomerIdentity.customer_id).where(CustomerIdentity.value == "wmA1")
        )
        changed = set(session.scalars(select(CustomerChange.customer_id)))
    assert counts.as_dict() == {
        "received": 5,
        "duplicates": 1,
        "contacts_added": 2,
        "removed_by_customer": 1,
        "removed_by_staff": 1,
        "customers_created": 2,
        "groups_changed": 0,
        "welcomes_planned": 0,
    }
    assert contacts(engine) == [
        ("wmA1", identity, "pkgcard_tmall", "customer"),
        ("wmB2", identity + 1, None, "staff"),
    ]
    assert changed == {identity, identity + 1}


def test_replaying_events_changes_nothing_and_old_events_do_not_undo_new_ones(
    engine: Engine,
) -> None:
    first = [
        event_from_fields(event("add_external_contact", at=T0)),
        event_from_fields(event("del_follow_user", at=T0 + 50)),
    ]
    with transaction(engine) as session:
        apply_callback_events(session, first)
    with transaction(engine) as session:
        again = apply_callback_events(session, first)
        stale = apply_callback_events(
            session, [event_from_fields(event("add_external_contact", at=T0 + 10))]
        )
    assert (again.duplicates, stale.contacts_added) == (2, 0)
    assert [row[3] for row in contacts(engine)] == ["customer"]


def test_the_demo_callback_file_is_imported(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "change_external_contact.jsonl"
    lines = [event("del_follow_user", f"wm{n}", T0 + n) for n in range(7)] + [
        event("del_follow_user", "wm0", T0)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    with transaction(engine) as session:
        counts = apply_callback_file(session, path, chunk=3)
    assert (counts.received, counts.duplicates, counts.removed_by_customer) == (8, 1, 7)


def test_a_live_event_is_verified_decrypted_applied_and_welcomed(engine: Engine) -> None:
    crypto = WXBizMsgCrypt("token123", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wwcorp")
    now = datetime.now(UTC)
    xml = (
        "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{int(now.timestamp())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"
        "<UserID><![CDATA[guide1]]></UserID><ExternalUserID><![CDATA[wmLIVE]]></ExternalUserID>"
        "<State><![CDATA[miniapp]]></State><WelcomeCode><![CDATA[WC123]]></WelcomeCode></xml>"
    )
    encrypted = crypto.encrypt(xml)
    query = CallbackQuery(crypto.signature("1700000000", "n", encrypted), "1700000000", "n")
    body = f"<xml><ToUserName>wwcorp</ToUserName><Encrypt>{encrypted}</Encrypt></xml>".encode()
    with transaction(engine) as session:
        counts = receive(session, crypto, query, body, now=now, welcome=Content("欢迎来到小店"))
    with transaction(engine) as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert (counts.contacts_added, counts.welcomes_planned) == (1, 1)
    assert (
        message.idempotency_key,
        message.channel,
        message.purpose,
        message.state,
        message.sender,
    ) == ("welcome|WC123", "wecom", "service", "queued", "guide1")
    assert message.expires_at == datetime.fromtimestamp(int(now.timestamp()), UTC) + timedelta(
        seconds=20
    )


def test_opt_out_words() -> None:
    assert [
        is_opt_out(t) for t in ("TD", " td ", "退订", "T", "n", "R。", "拒收", "TD please", "好的")
    ] == [True, True, True, True, True, True, True, False, False]


def test_an_sms_uplink_opt_out_takes_effect_at_once(engine: Engine) -> None:
    with transaction(engine) as session:
        who = make_customer(session, phone="+8613800138000").id
        session.add(
            Consent(
                customer_id=who,
                channel="sms",
                purpose="marketing",
                granted=True,
                source="signup",
                at=datetime.now(UTC),
            )
        )
    with transaction(engine) as session:
        assert record_sms_uplink(
            session, phone="13800138000", text="退订", at=datetime.now(UTC)
        ) == [who]
    with transaction(engine) as session:
        consent = session.scalars(select(Consent)).one()
    assert (consent.granted, consent.source) == (False, "reply:退订")


def test_an_unsubscribe_link_refuses_marketing_on_its_channel(engine: Engine) -> None:
    with transaction(engine) as session:
        who = make_customer(session).id
    token = make_unsubscribe_token("unsub-secret-0123456", who, "email", 0)
    with transaction(engine) as session:
        unsubscribe(session, secret="unsub-secret-0123456", token=token, at=datetime.now(UTC))
    with transaction(engine) as session:
        consent = session.scalars(select(Consent)).one()
    assert (consent.customer_id, consent.channel, consent.purpose, consent.granted) == (
        who,
        "email",
        "marketing",
        False,
    )


def test_contact_hours_are_learned_from_orders(engine: Engine) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    with transaction(engine) as session:
        shop = make_shop(session)
        buyer = make_customer(session)
        for day, hour in ((1, 20), (2, 20), (3, 12), (4, 9)):
            make_order(
                session,
                shop=shop,
                customer=buyer,
                ordered_at=datetime(2026, 2, day, hour, 15, tzinfo=zone),
            )
    with transaction(engine) as session:
        learned = learn_contact_hours(session, zone=zone, now=datetime(2026, 3, 1, tzinfo=UTC))
        hours = session.get(ContactHours, buyer.id)
        assert hours is not None
        assert (learned, hours.best_hour, hours.top_hours, hours.samples) == (1, 20, [20, 9, 12], 4)
        assert session.scalar(select(func.count()).select_from(Order)) == 4


@pytest.mark.parametrize("bad", ['{"Event": "x"}', "not json"])
def test_a_bad_event_line_names_its_line(engine: Engine, tmp_path: Path, bad: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(event("del_follow_user")) + "\n" + bad + "\n", encoding="utf-8")
    with transaction(engine) as session, pytest.raises(Exception, match=r"events\.jsonl:2"):
        apply_callback_file(session, path)
