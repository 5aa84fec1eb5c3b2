"""A process that reads a SQLite query into numbers while its parent reads another.

Run as `python -m siyu.analytics.reader_process PATH SQL NAME…`: it opens the SQLite file at
PATH read-only, runs SQL (every selected value a non-null integer) and writes each column to
stdout as an 8-byte little-endian count followed by that many int64 values. `ReaderProcess`
starts it and takes its columns. A plain interpreter started with `-m`, not `multiprocessing`:
nothing of the caller's `__main__` runs again in the child.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

INT64 = np.dtype("<i8")


class ReaderProcess:
    def __init__(self, path: str, sql: str, names: Sequence[str]) -> None:
        self.names = list(names)
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, path, sql, *self.names],
            stdout=subprocess.PIPE,
            stderr=self._errors,
        )

    def columns(self) -> dict[str, NDArray[Any]]:
        """Wait for the columns; RuntimeError, with the reader's last error line, if it failed."""
        assert self._process.stdout is not None
        try:
            columns = {name: _read_column(self._process.stdout) for name in self.names}
        except EOFError:
            columns = None
        code = self._process.wait()
        if code != 0 or columns is None:
            self._errors.seek(0)
            last = self._errors.read().decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"a SQLite reader process failed (exit {code}): {''.join(last)}")
        return columns

    def close(self) -> None:
        """Stop the reader if it still runs (the caller failed first), and let go of its files."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._errors.close()


def _read_column(stream: IO[bytes]) -> NDArray[np.int64]:
    count = int(np.frombuffer(_read_exactly(stream, INT64.itemsize), INT64)[0])
    column = np.empty(count, dtype=INT64)
    view = column.data.cast("B")
    done = 0
    while done < view.nbytes:
        got = stream.readinto(view[done:])  # type: ignore[attr-defined]
        if not got:
            raise EOFError
        done += got
    return column.astype(np.int64, copy=False)


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return data


def main(arguments: Sequence[str]) -> None:
    import sqlite3

    from siyu.analytics.facts import fetch_rows

    path, sql, *names = arguments
    connection = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
    try:
        columns = fetch_rows(connection, sql, names)
    finally:
        connection.close()
    out = sys.stdout.buffer
    for column in columns:
        out.write(np.array([column.size], dtype=INT64).tobytes())
        out.write(column.astype(INT64, copy=False).tobytes())
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
