"""What every export writer shares: streaming CSV output and vectorised cell formatting.

A chunk is a list of columns (each a list of already-formatted cells); rows are joined with
`,` and ended with CRLF, as the platforms' Windows-born exports are. Cell quoting is chosen per
column by the writer (Taobao quotes everything and writes ids as `="…"`, Douyin quotes its
tab-prefixed cells), so the writer formats cells, and this module only joins them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from siyu.demo.catalog import ShopKey
from siyu.demo.clock import Calendar
from siyu.demo.orders import Orders
from siyu.demo.people import People

CHUNK = 20_000
Int = NDArray[np.int64]
Column = list[str]
_NEEDS_QUOTES = re.compile('[,"\r\n\t]')


@dataclass(frozen=True, slots=True)
class Export:
    """What a writer needs: the simulated world, where to write, and its own random stream."""

    out_dir: Path
    orders: Orders
    people: People
    calendar: Calendar
    rng: np.random.Generator


@dataclass(frozen=True, slots=True)
class Written:
    """One file a writer produced, and what it shows (for the ground truth)."""

    format: str
    path: Path
    shop: ShopKey
    rows: int
    phone_persons: Int  # persons whose real phone the file shows in full


def shop_orders(orders: Orders, shop: ShopKey, *, newest_first: bool = True) -> Int:
    """The shop's orders in export order (platform back-offices list the newest first)."""
    chosen = np.flatnonzero(orders.shop == shop)
    arrangement = np.argsort(orders.ordered_at[chosen], kind="stable")
    return chosen[arrangement[::-1] if newest_first else arrangement]


def order_lines(orders: Orders, chosen: Int) -> Int:
    """Line indices of the chosen orders, order by order."""
    counts = orders.line_count[chosen]
    starts = np.repeat(orders.line_start[chosen], counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    lines: Int = (starts + offsets).astype(np.int64)
    return lines


def chunks(count: int) -> Iterator[slice]:
    for start in range(0, count, CHUNK):
        yield slice(start, min(start + CHUNK, count))


def open_csv(path: Path, encoding: str) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding=encoding, errors="strict", newline="")


def write_rows(handle: TextIO, columns: Sequence[Column]) -> int:
    rows = [",".join(cells) for cells in zip(*columns, strict=True)]
    if rows:
        handle.write("\r\n".join(rows) + "\r\n")
    return len(rows)


def write_header(handle: TextIO, names: Sequence[str]) -> None:
    handle.write(",".join(minimal(list(names))) + "\r\n")


def quoted(cells: Column) -> Column:
    return ['"' + cell.replace('"', '""') + '"' for cell in cells]


def minimal(cells: Column) -> Column:
    """Quote only the cells that need it (and, unlike the csv module, tab-carrying ones)."""
    if _NEEDS_QUOTES.search("\x00".join(cells)) is None:
        return cells
    return [
        '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell
        for cell in cells
    ]


def excel_text(cells: Column) -> Column:
    """Taobao's protection of long ids from Excel: `="35153131473293579"`."""
    return [f'="{cell}"' for cell in cells]


def constant(value: str, count: int) -> Column:
    return [value] * count


def yuan(fen: Int, *, thousands: bool = False) -> Column:
    """Integer fen as yuan text with two decimals (`1234.50`, or `1,234.50`)."""
    if thousands:
        return [f"{value // 100:,}.{value % 100:02d}" for value in fen.tolist()]
    return [f"{value // 100}.{value % 100:02d}" for value in fen.tolist()]


def moments(seconds: Int, missing: str = "") -> Column:
    """Local seconds as `YYYY-MM-DD HH:MM:SS`; MISSING (negative) as `missing`."""
    text = np.datetime_as_string(np.maximum(seconds, 0).astype("datetime64[s]"), unit="s")
    return [
        missing if second < 0 else value.replace("T", " ")
        for second, value in zip(seconds.tolist(), text.tolist(), strict=True)
    ]


def pick(values: Sequence[str], index: Int) -> Column:
    """values[index] for every index (values indexed by person, SKU, …)."""
    table = np.asarray(values, dtype=object)
    picked: Column = table[index].tolist()
    return picked


def header(names: str) -> tuple[str, ...]:
    """Column names written as FORMATS.md lists them: comma-separated, `␠` for the trailing
    space some platforms put in a name (Taobao's `收货地址 `)."""
    return tuple(name.strip().replace("␠", " ") for name in names.split(","))


def arrange(header: Sequence[str], values: dict[str, Column], count: int) -> list[Column]:
    """The columns in header order; a column the writer has no values for is empty."""
    unknown = set(values) - set(header)
    if unknown:
        raise KeyError(f"not in the header: {sorted(unknown)}")
    blank = constant("", count)
    return [values.get(name, blank) for name in header]


def export_stamp(calendar: Calendar, minutes_after_midnight: int = 9 * 60 + 30) -> int:
    """Local seconds of the export: the morning after the last trading day."""
    return calendar.now + minutes_after_midnight * 60
