"""Platform export files -> `OrderRecord`/`EventRecord` streams (see `siyu.ingest.records`).

Each order format is a parser: `(path, *, tz) -> Iterator[OrderRecord | RejectedRow]`. It maps
columns by header name through the platform's alias table, streams the rows (constant memory),
and never touches a database. A file it cannot read at all raises `FormatError` before the
first row; a row it cannot use comes out as a `RejectedRow` with a specific reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Protocol

from siyu.ingest.formats.douyin import parse_douyin
from siyu.ingest.formats.errors import FormatError
from siyu.ingest.formats.events import ParsedEventRow, parse_events
from siyu.ingest.formats.jd import parse_jd
from siyu.ingest.formats.orders_csv import parse_orders_csv
from siyu.ingest.formats.pdd import parse_pdd
from siyu.ingest.formats.taobao import parse_taobao
from siyu.ingest.formats.youzan import parse_youzan
from siyu.ingest.records import ParsedOrderRow


class OrderParser(Protocol):
    def __call__(self, path: Path, *, tz: tzinfo) -> Iterator[ParsedOrderRow]: ...


ORDER_FORMATS: Mapping[str, OrderParser] = {
    "taobao": parse_taobao,
    "jd": parse_jd,
    "pdd": parse_pdd,
    "douyin": parse_douyin,
    "youzan": parse_youzan,
    "orders-csv": parse_orders_csv,
}

__all__ = ["ORDER_FORMATS", "FormatError", "OrderParser", "ParsedEventRow", "parse_events"]
