"""Batches of parsed, prepared rows for an import, made inline or in a worker process.

Parsing and the database-free part of loading (`Sink.prepare`) need no database, so a big file
is parsed in a worker process while the main process loads the previous batch: on two cores the
two halves of the work overlap. The worker writes one `Batch` at a time to a pipe; it blocks
while the pipe is full, so only about three batches are ever in memory.
Batches are the same either way, so commits, `committed_line` and resuming do not change.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from siyu.ingest.formats import ORDER_FORMATS, parse_events
from siyu.ingest.formats.wecom import parse_contacts, parse_groups
from siyu.ingest.records import RejectedRow
from siyu.ingest.runs import Problem

Prepare = Callable[..., Sequence[Any]]


@dataclass(frozen=True, slots=True)
class Source:
    """What to read, from where, in which batches."""

    format_name: str
    path: Path
    timezone: ZoneInfo
    resume_after: int  # rows up to this file line are already committed
    batch_size: int
    postgres: bool  # prepared rows carry values in this backend's stored form


@dataclass(frozen=True, slots=True)
class Batch:
    items: Sequence[Any]  # the sink's prepared rows
    problems: list[Problem]  # rejected rows and warnings
    rows_read: int
    last_line: int  # the last file line this batch covers
    seen: int  # rows parsed so far, for progress


def make_batches(source: Source, prepare: Prepare) -> Generator[Batch, None, None]:
    records: list[Any] = []
    problems: list[Problem] = []
    seen = 0
    last_line = source.resume_after
    for item in parse(source.format_name, source.path, source.timezone):
        seen += 1
        if item.line_no <= source.resume_after:
            continue
        last_line = item.line_no
        if isinstance(item, RejectedRow):
            problems.append(Problem(item.line_no, item.reason, item.raw))
        else:
            records.append(item)
            warnings = getattr(item, "warnings", ())
            if warnings:
                problems.append(Problem(item.line_no, "; ".join(warnings), is_warning=True))
        if len(records) + len(problems) >= source.batch_size:
            yield _batch(source, prepare, records, problems, last_line, seen)
            records, problems = [], []
    if records or problems or last_line > source.resume_after:
        yield _batch(source, prepare, records, problems, last_line, seen)


def _batch(
    source: Source,
    prepare: Prepare,
    records: list[Any],
    problems: list[Problem],
    last_line: int,
    seen: int,
) -> Batch:
    rows_read = len(records) + sum(not problem.is_warning for problem in problems)
    return Batch(prepare(records, postgres=source.postgres), problems, rows_read, last_line, seen)


def parse(format_name: str, path: Path, timezone: ZoneInfo) -> Iterator[Any]:
    if format_name in ORDER_FORMATS:
        return ORDER_FORMATS[format_name](path, tz=timezone)
    if format_name == "events":
        return parse_events(path, tz=timezone)
    if format_name == "wecom-contacts":
        return parse_contacts([path], tz=timezone)
    return parse_groups([path], tz=timezone)


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch loads: its hundreds of thousands of
    short-lived tuples would otherwise trigger full collections that scan everything alive
    (a quarter of the loading time). Nothing is lost: collection resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


def worker_batches(source: Source, sink_kind: str) -> Generator[Batch, None, None]:
    """`make_batches` run in a worker process (`python -m siyu.ingest.parser_worker`), its batches
    pickled through a pipe. Closing the iterator (or an error while it is consumed) stops the
    worker; an error in the worker is raised here.

    A plain subprocess rather than `multiprocessing`: spawning re-imports the caller's main
    module, which breaks scripts without a `__main__` guard, and forking a process that may hold
    threads and database connections is unsafe."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
    )}  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "siyu.ingest.parser_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert worker.stdin is not None
    assert worker.stdout is not None
    try:
        with worker.stdin:
            pickle.dump((source, sink_kind), worker.stdin)
        while True:
            try:
                with collection_paused():
                    message = pickle.load(worker.stdout)
            except EOFError:
                raise RuntimeError(
                    f"the parser process stopped unexpectedly (exit code {worker.poll()})"
                ) from None
            if message is None:
                return
            if isinstance(message, _Failed):
                raise message.error
            yield message
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()
        worker.wait()


def work() -> None:
    """The worker: read (source, sink kind) from stdin, write pickled batches to stdout."""
    from siyu.ingest.sinks import SINKS

    source, sink_kind = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    gc.disable()  # parsing makes no reference cycles worth chasing; collected once per batch
    try:
        for batch in make_batches(source, SINKS[sink_kind].prepare):
            pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
            del batch
            gc.collect()
        pickle.dump(None, out)
    except BaseException as error:  # sent to the main process, which raises it
        try:
            pickle.dump(_Failed(error), out)
        except Exception:  # an error that cannot be pickled: its text then
            pickle.dump(_Failed(RuntimeError(f"{type(error).__name__}: {error}")), out)
    out.flush()
