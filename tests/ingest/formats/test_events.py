"""Behaviour events as CSV (Chinese type names welcome) and JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siyu.ingest.formats import FormatError, parse_events
from siyu.ingest.records import BuyerKey, BuyerKeyKind, EventRecord, EventType, RejectedRow

from .support import SHANGHAI, at, write_text


def test_csv_events_with_chinese_types(tmp_path: Path) -> None:
    text = (
        "行为,customer_id,phone,unionid,openid,buyer_id,platform,商品,类目,时间\n"
        "浏览,C1,,,,,,龙井,绿茶,2026-06-01 10:00:00\n"
        "收藏,,13800138000,,,,,龙井,绿茶,2026/6/1 10:05\n"
        "加购,,,u1,,,,,,1780279800\n"
        "关注,,,,o1,,,,,2026-06-01T02:10:00Z\n"
        "search,,,,,tb_1,taobao,,,2026-06-01 10:15:00\n"
        "分享,,,,,tb_2,,,,2026-06-01 10:20:00\n"
        "点赞,C1,,,,,,,,2026-06-01 10:25:00\n"
        "view,,,,,,,,,2026-06-01 10:30:00\n"
    )
    items = list(parse_events(write_text(tmp_path / "events.csv", text, "utf-8-sig"), tz=SHANGHAI))
    events = [item for item in items if isinstance(item, EventRecord)]
    rejected = [item for item in items if isinstance(item, RejectedRow)]
    assert [e.event_type for e in events] == [
        EventType.VIEW,
        EventType.FAVOURITE,
        EventType.CART,
        EventType.FOLLOW,
        EventType.SEARCH,
    ]
    view, favourite, cart, follow, search = events
    assert (view.buyer.keys, view.item, view.category, view.occurred_at) == (
        (BuyerKey(BuyerKeyKind.CUSTOMER_REF, "C1"),),
        "龙井",
        "绿茶",
        at("2026-06-01 10:00:00"),
    )
    assert favourite.buyer.keys == (BuyerKey(BuyerKeyKind.PHONE, "13800138000"),)
    assert favourite.occurred_at == at("2026-06-01 10:05")
    assert cart.occurred_at == at("2026-06-01 10:10:00")
    assert follow.occurred_at == at("2026-06-01 10:10:00")
    assert (search.buyer.keys, search.platform) == (
        (BuyerKey(BuyerKeyKind.BUYER_ID, "tb_1"),),
        "taobao",
    )
    assert [(r.line_no, r.reason) for r in rejected] == [
        (7, "buyer_id 'tb_2' needs a platform (column platform is empty)"),
        (
            8,
            "event type '点赞' in column 行为 is not one of "
            "search, view, follow, favourite, cart, share",
        ),
        (9, "no customer key: customer_id, phone, unionid, openid, buyer_id all empty"),
    ]


def test_json_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"event": "cart", "unionid": "u9", "item": "白茶", "occurred_at": 1780279800}),
        "",
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"Event_Type": "收藏", "Customer_ID": 42, "time": "2026-06-01"}),
    ]
    path = write_text(tmp_path / "events.jsonl", "\n".join(lines) + "\n", "utf-8")
    items = list(parse_events(path, tz=SHANGHAI))
    assert [(type(i).__name__, i.line_no) for i in items] == [
        ("EventRecord", 1),
        ("RejectedRow", 3),
        ("RejectedRow", 4),
        ("EventRecord", 5),
    ]
    first, bad_json, a_list, last = items
    assert isinstance(first, EventRecord)
    assert isinstance(last, EventRecord)
    assert (first.event_type, first.item, first.occurred_at) == (
        EventType.CART,
        "白茶",
        at("2026-06-01 10:10:00"),
    )
    assert isinstance(bad_json, RejectedRow)
    assert bad_json.raw == "{not json"
    assert bad_json.reason.startswith("line is not valid JSON (")
    assert isinstance(a_list, RejectedRow)
    assert a_list.reason == "line holds a JSON list, not an object"
    assert last.buyer.keys == (BuyerKey(BuyerKeyKind.CUSTOMER_REF, "42"),)
    assert last.occurred_at == at("2026-06-01 00:00")


def test_missing_time_column(tmp_path: Path) -> None:
    path = write_text(tmp_path / "e.csv", "event_type,customer_id\nview,C1\n", "utf-8")
    with pytest.raises(FormatError, match="missing required column occurred_at"):
        parse_events(path, tz=SHANGHAI)
