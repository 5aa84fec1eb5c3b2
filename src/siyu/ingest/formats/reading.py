"""Open an export file and stream its rows as text cells.

Containers: `.csv`/`.txt` (comma-separated text), `.xlsx`, and `.zip` holding exactly one csv or
xlsx file (微信小店, newer 千牛). Text encoding is sniffed over the whole file before any row is
yielded: a UTF-8 BOM means UTF-8; else strict UTF-8; else GB18030 (a superset of GBK/GB2312,
which Taobao and JD legacy exports use); else `FormatError`. Nothing is ever decoded with
`errors="ignore"`.

Rows come out as `(row_no, cells)`: `row_no` is 1-based and counts every record of the file
(or sheet) including title and header rows, so it matches the row number a spreadsheet shows.
Every cell is text. xlsx values are converted carefully: date cells become `YYYY-MM-DD HH:MM:SS`,
integral numbers become plain digits, and integral floats of 16+ digits (an id Excel has already
rounded) become Excel's own scientific text (`1.23457E+18`) so the parser rejects them instead of
storing a wrong id.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import openpyxl

from siyu.ingest.formats.errors import FormatError

TEXT_SUFFIXES = frozenset({".csv", ".txt"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CHUNK_BYTES = 1 << 20
SAFE_FLOAT_DIGITS = 15  # Excel keeps 15 significant digits; longer integers are already rounded

Opener = Callable[[], IO[bytes]]
NumberedRow = tuple[int, list[str]]


def read_rows(path: Path, *, sheets: Sequence[str] = ()) -> Iterator[NumberedRow]:
    """Stream `(row_no, cells)` from `path`. Raises `FormatError` at once (before the first row)
    for a missing file, an unsupported container or undecodable text. `sheets` names preferred
    worksheets of an xlsx (the first one present wins; else the first sheet)."""
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return _text_rows(path.name, lambda: path.open("rb"))
    if suffix in XLSX_SUFFIXES:
        return _xlsx_rows(path.name, path, sheets)
    if suffix == ".zip":
        return _zip_rows(path, sheets)
    if suffix == ".xls":
        raise FormatError(
            f"{path.name}: old binary .xls is not supported; save it as .xlsx or .csv"
        )
    raise FormatError(f"{path.name}: unsupported file type {suffix!r} (use .csv, .xlsx or .zip)")


def detect_encoding(name: str, opener: Opener) -> str:
    """`utf-8-sig`, `utf-8` or `gb18030`, checked over the whole stream; else `FormatError`."""
    with opener() as stream:
        head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FormatError(f"{name}: UTF-16 text is not supported; save it as CSV (UTF-8)")
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        offset = _first_bad_byte(opener, encoding)
        if offset is None:
            return encoding
    raise FormatError(
        f"{name}: text is neither UTF-8 nor GB18030/GBK (undecodable byte at offset {offset}); "
        "re-export the file as CSV or xlsx"
    )


def _first_bad_byte(opener: Opener, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    consumed = 0
    with opener() as stream:
        try:
            while chunk := stream.read(CHUNK_BYTES):
                decoder.decode(chunk)
                consumed += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            return consumed + error.start
    return None


def _text_rows(name: str, opener: Opener) -> Iterator[NumberedRow]:
    encoding = detect_encoding(name, opener)
    return _csv_rows(name, opener, encoding)


def _csv_rows(name: str, opener: Opener, encoding: str) -> Iterator[NumberedRow]:
    with opener() as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as text:
        reader = csv.reader(text)
        try:
            yield from enumerate(reader, start=1)
        except (csv.Error, UnicodeDecodeError) as error:
            raise FormatError(
                f"{name}: unreadable CSV near line {reader.line_num}: {error}"
            ) from None


def _zip_rows(path: Path, sheets: Sequence[str]) -> Iterator[NumberedRow]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if _is_table_member(info)]
    except zipfile.BadZipFile as error:
        raise FormatError(f"{path.name}: not a readable zip file ({error})") from None
    if len(members) != 1:
        found = ", ".join(info.filename for info in members) or "none"
        raise FormatError(f"{path.name}: expected one .csv or .xlsx inside the zip, found {found}")
    member = members[0].filename

    def open_member() -> IO[bytes]:
        with zipfile.ZipFile(path) as archive:
            return archive.open(member)  # keeps the archive file open until the member closes

    if Path(member).suffix.lower() in TEXT_SUFFIXES:
        return _text_rows(f"{path.name}:{member}", open_member)
    # openpyxl needs a seekable file; spool to disk rather than memory. `_sheet_rows` closes it.
    spooled = tempfile.TemporaryFile()  # noqa: SIM115
    with open_member() as stream:
        shutil.copyfileobj(stream, spooled)
    return _xlsx_rows(f"{path.name}:{member}", spooled, sheets)


def _is_table_member(info: zipfile.ZipInfo) -> bool:
    name = Path(info.filename)
    hidden = name.name.startswith(".") or info.filename.startswith("__MACOSX/")
    suffix = name.suffix.lower()
    return not info.is_dir() and not hidden and suffix in TEXT_SUFFIXES | XLSX_SUFFIXES


def _xlsx_rows(name: str, source: Path | IO[bytes], sheets: Sequence[str]) -> Iterator[NumberedRow]:
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        if not isinstance(source, Path):
            source.close()
        raise FormatError(f"{name}: not a readable xlsx workbook ({error})") from None
    preferred = [title for title in sheets if title in workbook.sheetnames]
    sheet = workbook[preferred[0]] if preferred else workbook.worksheets[0]
    return _sheet_rows(workbook, sheet, source)


def _sheet_rows(workbook: Any, sheet: Any, source: Path | IO[bytes]) -> Iterator[NumberedRow]:
    try:
        sheet.reset_dimensions()  # some writers store a wrong <dimension>; read everything
        for row_no, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield row_no, [cell_text(value) for value in values]
    finally:
        workbook.close()
        if not isinstance(source, Path):
            source.close()


def cell_text(value: object) -> str:
    """An xlsx cell value as the text a CSV export would have held."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _float_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer():
        digits = len(str(abs(int(value))))
        return str(int(value)) if digits <= SAFE_FLOAT_DIGITS else f"{value:.5E}"
    return format(Decimal(repr(value)), "f")
