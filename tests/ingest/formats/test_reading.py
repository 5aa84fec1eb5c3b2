"""Containers, encodings and xlsx cell conversion."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from siyu.ingest.formats import FormatError
from siyu.ingest.formats.reading import cell_text, read_rows

from .support import write_xlsx, write_zip

TEXT = '订单编号,买家留言\r\n1,"第一行\r\n第二行"\r\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert list(read_rows(path)) == [(1, ["订单编号", "买家留言"]), (2, ["1", "第一行\r\n第二行"])]


def test_gbk_after_a_long_ascii_prefix_is_still_found(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 600_000 + "合计,3\n".encode("gbk"))
    rows = list(read_rows(path))
    assert rows[-1] == (600_002, ["合计", "3"])


def test_undecodable_text_fails_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n\xff\xff\xff\n")
    with pytest.raises(FormatError, match=r"neither UTF-8 nor GB18030/GBK \(undecodable byte"):
        read_rows(path)


def test_utf16_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("a\tb\n".encode("utf-16"))
    with pytest.raises(FormatError, match="UTF-16 text is not supported"):
        read_rows(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("old.xls", "old binary .xls is not supported"),
        ("data.pdf", "unsupported file type '.pdf'"),
        ("broken.zip", "not a readable zip file"),
        ("broken.xlsx", "not a readable xlsx workbook"),
    ],
)
def test_unsupported_files(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"not really")
    with pytest.raises(FormatError, match=message):
        read_rows(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        read_rows(tmp_path / "nope.csv")


def test_zip_needs_exactly_one_table(tmp_path: Path) -> None:
    two = write_zip(tmp_path / "two.zip", {"a.csv": b"x", "b.xlsx": b"y", "readme.md": b"z"})
    expected = r"expected one \.csv or \.xlsx inside the zip, found a\.csv, b\.xlsx"
    with pytest.raises(FormatError, match=expected):
        read_rows(two)
    one = write_zip(
        tmp_path / "one.zip", {"__MACOSX/._a.csv": b"junk", "dir/a.csv": TEXT.encode("gbk")}
    )
    assert next(iter(read_rows(one))) == (1, ["订单编号", "买家留言"])


def test_xlsx_prefers_named_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "b.xlsx", [["封面"]], title="说明")
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("订单报表").append(["订单编号", 1])
    workbook.save(path)
    assert list(read_rows(path, sheets=("订单报表",))) == [(1, ["订单编号", "1"])]
    assert list(read_rows(path)) == [(1, ["封面"])]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("x", "x"),
        (True, "TRUE"),
        (35153131473293579, "35153131473293579"),
        (201.12, "201.12"),
        (0.0, "0"),
        (1e-05, "0.00001"),
        (123456789012345.0, "123456789012345"),
        (1.2345678901234567e18, "1.23457E+18"),
        (datetime(2017, 7, 8, 0, 42, 32), "2017-07-08 00:42:32"),
        (date(2017, 7, 8), "2017-07-08"),
        (time(0, 42), "00:42:00"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text
