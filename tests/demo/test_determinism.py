"""A seed fixes every byte; the manifest on disk reads back as the one returned."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from siyu.demo import DemoManifest, generate

END = date(2025, 6, 30)


def contents(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", customers=600, seed=3, end=END)
    generate(tmp_path / "b", customers=600, seed=3, end=END)

    first, second = contents(tmp_path / "a"), contents(tmp_path / "b")

    assert first == second
    assert len(first) == 11  # 9 imported files, the callbacks and manifest.json


def test_another_seed_gives_other_data_with_the_same_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", customers=600, seed=3, end=END)
    generate(tmp_path / "b", customers=600, seed=4, end=END)

    first, second = contents(tmp_path / "a"), contents(tmp_path / "b")

    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)


def test_manifest_json_reads_back_as_the_returned_manifest(small_demo: DemoManifest) -> None:
    path = small_demo.out_dir / "manifest.json"

    loaded = DemoManifest.load(path)

    assert loaded == small_demo
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["files"][0]["path"] == "tmall/ExportOrderList202507010930.csv"
    assert stored["truth"]["persons"] == 1_500


def test_the_window_is_three_years_ending_with_end(small_demo: DemoManifest) -> None:
    assert (small_demo.start, small_demo.end) == (date(2022, 7, 1), END)


def test_a_tiny_merchant_still_writes_every_file(tmp_path: Path) -> None:
    manifest = generate(tmp_path, customers=1, seed=1, end=END)

    assert manifest.truth.persons == 1
    assert all(file.path.is_file() for file in manifest.files)


def test_no_customers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(tmp_path, customers=0, end=END)
    assert not any(tmp_path.iterdir())
