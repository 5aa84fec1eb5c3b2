"""The driver every platform parser shares: find the header, then turn each data row into a
record or a `RejectedRow`.

Row handling, in order:
- blank rows (every cell empty) are skipped: they carry no data;
- footers (`合计`/`总计`/`小计` in the key column, or in the first cell when the key cell holds no
  id) and `#` comment lines are skipped as non-data;
- a row with more non-empty fields than the header is rejected (a value holding an unquoted
  comma would shift every column); empty extra fields (Taobao's detail-file trailing comma) and
  missing trailing fields are fine;
- anything a row builder raises as `RowError` becomes a `RejectedRow` with that reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from siyu.ingest.formats import cleaning
from siyu.ingest.formats.dates import parse_datetime
from siyu.ingest.formats.errors import RowError
from siyu.ingest.formats.headers import AliasTable, Header, find_header
from siyu.ingest.formats.reading import NumberedRow, read_rows
from siyu.ingest.records import BuyerKey, RejectedRow

Record = TypeVar("Record")


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    header: Header
    rows: Iterator[NumberedRow]  # positioned just after the header


def open_table(path: Path, aliases: AliasTable, *, sheets: Sequence[str] = ()) -> Table:
    """Open `path` and read up to its header row (raises `FormatError` when there is none)."""
    rows = read_rows(path, sheets=sheets)
    header = find_header(rows, aliases, name=path.name)
    return Table(name=path.name, header=header, rows=rows)


def parse_table(
    table: Table, key_position: int, build: Callable[[Row], Record]
) -> Iterator[Record | RejectedRow]:
    labels = table.header.labels
    width = len(labels)
    for row_no, cells in table.rows:
        key = cleaning.clean_cell(cells[key_position]) if key_position < len(cells) else ""
        if not cleaning.is_id_like(key) and _is_non_data(cells, key):
            continue
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            reason = f"row has {len(cells)} fields but the header has {width}"
            yield RejectedRow(row_no, reason + " (an unquoted comma?)", raw_text(cells))
            continue
        try:
            yield build(Row(row_no, cells, labels))
        except RowError as error:
            yield RejectedRow(row_no, str(error), raw_text(cells))


def _is_non_data(cells: Sequence[str], key: str) -> bool:
    """Blank rows, footers and comment lines (only asked when the key cell holds no id)."""
    first = next((cell for cell in cells if cell.strip()), None)
    return first is None or cleaning.is_footer(cleaning.clean_cell(first), key)


def raw_text(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


class Row:
    """One data row with typed accessors by column position. A position of -1 means the file
    has no such column: text is empty, optional values are None, amounts are zero."""

    __slots__ = ("cells", "labels", "row_no")

    def __init__(self, row_no: int, cells: Sequence[str], labels: Sequence[str]) -> None:
        self.row_no = row_no
        self.cells = cells
        self.labels = labels

    def text(self, position: int) -> str:
        cells = self.cells
        if not 0 <= position < len(cells):
            return ""
        text = cells[position].strip(cleaning.STRIPPED)  # the common case, without a call
        if text[:1] in cleaning.WRAPPERS or not text.isprintable():
            return cleaning.clean_cell(text)
        return text

    def label(self, position: int) -> str:
        return self.labels[position] if 0 <= position < len(self.labels) else "?"

    def optional(self, position: int) -> str | None:
        text = self.text(position)
        return None if text in cleaning.NULLS else text

    def identifier(self, position: int, what: str) -> str:
        return cleaning.identifier(self.text(position), self.label(position), what)

    def optional_identifier(self, position: int, what: str) -> str | None:
        text = self.text(position)
        if text in cleaning.NULLS:
            return None
        return cleaning.identifier(text, self.label(position), what)

    def amount(self, position: int) -> int:
        """Fen; zero when the column is absent or the cell is a placeholder; never negative."""
        return self._fen(self.text(position), position)

    def optional_amount(self, position: int) -> int | None:
        """None when the column is absent or the cell empty; else as `amount`."""
        text = self.text(position)
        if position < 0 or text in cleaning.NULLS:
            return None
        return self._fen(text, position)

    def _fen(self, text: str, position: int) -> int:
        if text in cleaning.MONEY_ZEROS:  # also every absent column
            return 0
        fen = cleaning.money_fen(text, self.labels[position])
        if fen < 0:
            raise RowError(f"amount {text!r} in column {self.label(position)} is negative")
        return fen

    def moment(self, position: int, tz: tzinfo) -> datetime:
        found = self.optional_moment(position, tz)
        if found is None:
            raise RowError(f"missing date in column {self.label(position)}")
        return found

    def optional_moment(self, position: int, tz: tzinfo) -> datetime | None:
        if position < 0:
            return None
        return parse_datetime(self.text(position), self.labels[position], tz)

    def quantity(self, position: int) -> int:
        return cleaning.quantity(self.text(position), self.label(position))

    def phone(self, position: int) -> BuyerKey | None:
        return cleaning.phone_key(self.text(position)) if position >= 0 else None


class CellReader:
    """The cleaned texts of several columns of a row at once, in the order of `positions`
    (a position of -1 reads as empty text, like `Row.text`).

    The hot path of a row builder: one C-level gather of the cells and one pass of
    `cleaning.clean_cell`'s fast path, instead of a method call per column.
    """

    __slots__ = ("gather", "pad")

    def __init__(self, positions: Sequence[int]) -> None:
        # Gather from the cells plus padding whose last element is always "": absent columns
        # (-1) read it, and so do columns beyond the end of a short row.
        self.pad = max(positions, default=-1) + 2
        self.gather: Any = itemgetter(*positions, -1)  # a tuple even for one position

    def __call__(self, cells: Sequence[str]) -> list[str]:
        missing = self.pad - len(cells)
        padded = [*cells, *([""] * missing)] if missing > 1 else [*cells, ""]
        stripped = cleaning.STRIPPED
        wrappers = cleaning.WRAPPERS
        return [
            text
            if (text := raw.strip(stripped))[:1] not in wrappers and text.isprintable()
            else cleaning.clean_cell(text)
            for raw in self.gather(padded)[:-1]
        ]
