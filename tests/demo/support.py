"""Reading generated files back in tests, independently of the importers."""

from __future__ import annotations

import csv
import io

from siyu.demo import DemoFile, DemoManifest

GBK_FORMATS = ("taobao", "jd")
BOM = b"\xef\xbb\xbf"


def text_of(file: DemoFile) -> str:
    data = file.path.read_bytes()
    if file.format in GBK_FORMATS:
        return data.decode("gbk")
    return data.removeprefix(BOM).decode("utf-8")


def rows_of(file: DemoFile) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_of(file), newline="")))


def one(manifest: DemoManifest, format_name: str, name_part: str = "") -> DemoFile:
    [found] = [f for f in manifest.files_of(format_name) if name_part in f.path.name]
    return found
