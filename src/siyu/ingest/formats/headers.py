"""Header names: normalisation, alias tables, header-row detection and column positions.

Columns are always found by name, never by position. A header name is normalised by NFKC (which
turns full-width `（）：，` into ASCII), removing every space, tab and BOM (Taobao's `收货地址 `,
PDD's ` 用户购买手机号`), writing 帐 as 账 (JD's `下单帐号`/`下单账号`) and lower-casing ASCII
(`商品ID`/`商品id`, `Order_ID`). Repeated names get a positional suffix (Youzan's two `分销员`
columns become `分销员` and `分销员.1`); empty trailing headers are kept as unnamed columns.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from siyu.ingest.formats.errors import FormatError
from siyu.ingest.formats.reading import NumberedRow

HEADER_SCAN_ROWS = 50
_INVISIBLE = re.compile(r"[\s\ufeff\u200b]+")

Layout = TypeVar("Layout")


def normalize_header(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    text = _INVISIBLE.sub("", text).strip("'\"")
    return text.replace("帐", "账").lower()


@dataclass(frozen=True, slots=True)
class AliasTable:
    """Canonical field -> header names that mean it, in priority order (first present wins)."""

    fields: Mapping[str, tuple[str, ...]]  # normalised aliases
    display: Mapping[str, str]  # the name to show when the column is missing
    known: frozenset[str]

    @classmethod
    def of(cls, raw: Mapping[str, Sequence[str]]) -> AliasTable:
        fields = {field: tuple(normalize_header(a) for a in names) for field, names in raw.items()}
        known = frozenset(alias for aliases in fields.values() for alias in aliases)
        display = {field: names[0] for field, names in raw.items()}
        return cls(fields=fields, display=display, known=known)


@dataclass(frozen=True, slots=True)
class Header:
    row_no: int
    labels: tuple[str, ...]  # as written, stripped: used in messages
    names: tuple[str, ...]  # normalised and de-duplicated

    @classmethod
    def of(cls, row_no: int, cells: Sequence[str]) -> Header:
        labels = tuple(cell.strip(" \t\r\n\ufeff") for cell in cells)
        return cls(row_no=row_no, labels=labels, names=_deduplicated(labels))

    def position(self, aliases: Sequence[str]) -> int:
        """The column of the first alias present, or -1."""
        for alias in aliases:
            if alias in self.names:
                return self.names.index(alias)
        return -1


def _deduplicated(labels: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    names = []
    for label in labels:
        name = normalize_header(label)
        if name and name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return tuple(names)


def find_header(rows: Iterator[NumberedRow], aliases: AliasTable, *, name: str) -> Header:
    """Consume rows up to and including the header: the first row naming at least two known
    columns. Title rows (`名称：推广`), description rows and `#` lines before it are skipped;
    they are never data because no header has been seen yet. Which columns are required is
    checked afterwards by `resolve`, so a missing one is named in the error."""
    for row_no, cells in rows:
        if len({normalize_header(cell) for cell in cells} & aliases.known) >= 2:
            return Header.of(row_no, cells)
        if row_no >= HEADER_SCAN_ROWS:
            break
    examples = ", ".join(list(aliases.display.values())[:4])
    raise FormatError(
        f"{name}: no header row found in the first {HEADER_SCAN_ROWS} rows "
        f"(looked for a row naming at least two of {examples}, …)"
    )


def resolve(
    header: Header,
    aliases: AliasTable,
    layout: type[Layout],
    required: Sequence[Sequence[str]],
    *,
    name: str,
) -> Layout:
    """Build the layout dataclass of column positions (-1 when absent). Each group of `required`
    needs one of its fields present, else `FormatError` naming the column."""
    positions = {
        field.name: header.position(aliases.fields.get(field.name, ()))
        for field in dataclasses.fields(layout)  # type: ignore[arg-type]
    }
    for group in required:
        if all(positions[field] < 0 for field in group):
            shown = [aliases.display[field] for field in group]
            others = f" (or {', '.join(shown[1:])})" if len(shown) > 1 else ""
            raise FormatError(f"{name}: missing required column {shown[0]}{others}")
    built: Any = layout(**positions)
    return built  # type: ignore[no-any-return]
