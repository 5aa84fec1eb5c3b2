"""A full SQLite read shares its work with a helper process: same facts, same profiles."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from siyu.analytics import facts as facts_module
from siyu.analytics.facts import Facts, read_facts
from siyu.analytics.reader_process import ReaderProcess
from siyu.analytics.refresh import refresh
from siyu.analytics.store import empty_for_rewrite
from siyu.db.engine import make_engine, transaction
from siyu.db.migrate import upgrade
from tests.analytics.test_refresh import HISTORY, ZONE, load, orders
from tests.snapshot import snapshot

TABLES = ("customer_profiles", "stage_transitions")


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'siyu.db'}")
    upgrade(engine)
    more = [(f"X{n}", f"C{n % 7}", f"2026-0{1 + n % 5}-1{n % 9}", str(10 + n)) for n in range(40)]
    load(engine, tmp_path, "a.csv", orders(HISTORY + more))
    yield engine
    engine.dispose()


def read_everything(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, min_lines: int
) -> tuple[str | None, Facts]:
    monkeypatch.setattr(facts_module, "HELPER_MIN_LINES", min_lines)
    with transaction(engine) as session:
        empty_for_rewrite(session)  # the write lock, as a full refresh holds it
        shared = facts_module._file_to_share(session)
        return shared, read_facts(session, None)


def test_a_helper_process_reads_the_same_facts(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    alone, one = read_everything(sqlite_engine, monkeypatch, 10**12)
    shared, two = read_everything(sqlite_engine, monkeypatch, 0)
    assert (alone, shared) == (None, str((tmp_path / "siyu.db").resolve()))
    assert one.lines["customer"].size == len(HISTORY) + 40
    for part in ("orders", "lines", "events", "contacts", "groups"):
        first, second = getattr(one, part), getattr(two, part)
        assert first.keys() == second.keys()
        for name in first:
            np.testing.assert_array_equal(first[name], second[name], err_msg=f"{part}.{name}")


def test_no_helper_without_the_write_lock(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before this session has written, another writer could commit between the two reads."""
    monkeypatch.setattr(facts_module, "HELPER_MIN_LINES", 0)
    with transaction(sqlite_engine) as session:
        assert facts_module._file_to_share(session) is None
        empty_for_rewrite(session)
        assert facts_module._file_to_share(session) is not None


def test_a_full_refresh_with_a_reader_process_writes_the_same_profiles(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh(sqlite_engine, as_of=date(2026, 6, 15), zone=ZONE, full=True)
    alone = {name: rows for name, rows in snapshot(sqlite_engine).items() if name in TABLES}
    monkeypatch.setattr(facts_module, "HELPER_MIN_LINES", 0)
    shares: list[str | None] = []
    file_to_share = facts_module._file_to_share
    monkeypatch.setattr(
        facts_module,
        "_file_to_share",
        lambda session: shares.append(file_to_share(session)) or shares[-1],
    )
    refresh(sqlite_engine, as_of=date(2026, 6, 15), zone=ZONE, full=True)
    assert shares == [str(Path(str(sqlite_engine.url.database)).resolve())]  # the lines read apart
    shared = {name: rows for name, rows in snapshot(sqlite_engine).items() if name in TABLES}
    strip_ids = lambda rows: sorted((row[1:] for row in rows), key=repr)  # noqa: E731 (new ids)
    assert shared["customer_profiles"] == alone["customer_profiles"]
    assert strip_ids(shared["stage_transitions"]) == strip_ids(alone["stage_transitions"])
    assert len(alone["customer_profiles"]) == 7


@pytest.mark.parametrize("executable", ["", "/usr/local/bin/uwsgi"])
def test_no_helper_where_python_is_embedded(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, executable: str
) -> None:
    """Embedded in a host program, `sys.executable` is empty or the host itself: the refresh
    reads everything in its own process instead of failing to start a helper."""
    refresh(sqlite_engine, as_of=date(2026, 6, 15), zone=ZONE, full=True)
    alone = {name: rows for name, rows in snapshot(sqlite_engine).items() if name in TABLES}
    monkeypatch.setattr(facts_module, "HELPER_MIN_LINES", 0)
    monkeypatch.setattr(sys, "executable", executable)
    refresh(sqlite_engine, as_of=date(2026, 6, 15), zone=ZONE, full=True)
    embedded = {name: rows for name, rows in snapshot(sqlite_engine).items() if name in TABLES}
    assert embedded["customer_profiles"] == alone["customer_profiles"]
    assert len(embedded["customer_profiles"]) == 7


def test_a_failing_reader_process_says_why(tmp_path: Path) -> None:
    reader = ReaderProcess(str(tmp_path / "siyu.db"), "SELECT id FROM no_such_table", ["id"])
    try:
        with pytest.raises(RuntimeError, match=r"SQLite reader process failed.*unable to open"):
            reader.columns()
    finally:
        reader.close()
