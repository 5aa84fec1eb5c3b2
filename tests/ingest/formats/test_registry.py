"""The public registry: every order format is a `(path, *, tz)` parser that refuses a file
without a recognisable header before yielding anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from siyu.ingest.formats import ORDER_FORMATS, FormatError, parse_events

from .support import SHANGHAI, write_text


def test_registry_names() -> None:
    assert sorted(ORDER_FORMATS) == ["douyin", "jd", "orders-csv", "pdd", "taobao", "youzan"]


@pytest.mark.parametrize("name", sorted(ORDER_FORMATS))
def test_no_header_is_a_format_error(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path / "notes.csv", "hello,world\n1,2\n", "utf-8")
    with pytest.raises(FormatError, match="no header row found in the first 50 rows"):
        ORDER_FORMATS[name](path, tz=SHANGHAI)


def test_events_no_header(tmp_path: Path) -> None:
    path = write_text(tmp_path / "notes.csv", "hello,world\n", "utf-8")
    with pytest.raises(FormatError, match="no header row found"):
        parse_events(path, tz=SHANGHAI)


def test_format_error_is_user_facing() -> None:
    assert FormatError("x").code == "invalid_format"
