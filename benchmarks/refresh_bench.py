"""Time `siyu refresh` (full, then incremental) against pandas and DuckDB on the same store.

The store is built directly with bulk inserts (not through the importers): --customers customers
(one in ten never buys: behaviour or a WeCom contact only), --orders orders over the three years
to AS_OF on six shops (statuses paid/shipped/completed, unpaid, closed, fully and partly
refunded; a skewed number of orders per customer; 1% without a buyer), 1–3 lines per order in
twelve categories, behaviour events and WeCom contacts (some removed by the customer).
Then --new-orders orders on the next day (30% from new customers) for the incremental refresh.

Phases, each in its own interpreter so that its peak RSS is its own (ru_maxrss of the child,
or the peak of it and the helper processes a SQLite full refresh reads with, sampled every
0.1 s; the database server's memory is not counted):
  build        generate and bulk-insert the store (sqlite3 executemany / PostgreSQL COPY), once
               per size and seed with --reuse: each run works on a copy (a file copy, or
               PostgreSQL's CREATE DATABASE … TEMPLATE)
  full         `siyu.analytics.refresh.refresh(full=True)`; its seconds leave the CLV step
               (another capability: refit + score everyone) out, timed apart as clv_s
  pandas       a plain pandas implementation reading the same store with pd.read_sql; it
               computes orders, net revenue, AOV, first/last order, repeat intervals, per-shop
               breakdown, RFM and stage — and the run asserts it agrees with siyu's profiles
               on a sample of customers
  duckdb       the same aggregates in DuckDB over the orders loaded in memory from numpy
               (the aggregation is what is compared; loading them from the store is load_s)
  add          insert the new orders and mark their customers changed (as an import does)
  daily        `refresh(full=True)` after them, the next day, on a copy of the store: the daily
               full refresh over the profiles kept, which rewrites only the customers changed
  incremental  `refresh()` after them (CLV apart as clv_s: the customers recomputed)

    .venv/bin/python benchmarks/refresh_bench.py [--customers N] [--orders N]
        [--new-orders N] [--backend sqlite|postgres|both] [--no-clv] [--reuse]

The data generation and loading live in refresh_data.py, the baselines in refresh_baselines.py.

Needs the `bench` extra (pandas, duckdb).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from refresh_baselines import phase_duckdb, phase_pandas
from refresh_data import AS_OF, NEXT_DAY, ZONE_NAME, phase_add, phase_build

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- siyu ------------------------------------------------------------------------------------


@contextmanager
def timed_parts(parts: dict[str, float], clv: bool) -> Iterator[None]:
    """Time refresh's steps by wrapping them; the CLV step is timed apart (or skipped)."""
    from siyu.analytics import refresh as module
    from siyu.analytics.clv_scoring import ClvScoreResult

    def timer(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - start

        return wrapped

    def timed_edges(name: str, factory: Callable[..., Any]) -> Callable[..., Any]:
        """A context manager's entry and exit timed (its body is timed by what runs in it)."""

        @contextmanager
        def wrapped(*args: Any, **kwargs: Any) -> Iterator[None]:
            start = time.perf_counter()
            with factory(*args, **kwargs):
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - start
                yield
                start = time.perf_counter()
            parts[name] = parts.get(name, 0.0) + time.perf_counter() - start

        return wrapped

    def skipped(*_: Any, **__: Any) -> ClvScoreResult:
        return ClvScoreResult("none", None, False, 0, 0, "skipped")

    parts_of = {
        "_recompute_all": "everyone", "_recompute": "touched", "_rescore": "scoring",
        # within them: where the time goes
        "read_facts": "read", "compute": "compute", "score": "score",
        "delete_profiles": "write", "insert_profiles": "write", "insert_transitions": "write",
        "empty_for_rewrite": "write", "write_changes": "write",
    }  # fmt: skip
    saved = {name: getattr(module, name) for name in (*parts_of, "rewritten", "refresh_clv")}
    for name, part in parts_of.items():
        setattr(module, name, timer(part, saved[name]))
    module.rewritten = timed_edges("write", saved["rewritten"])  # type: ignore[attr-defined]
    module.refresh_clv = timer("clv", saved["refresh_clv"] if clv else skipped)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(module, name, function)


def phase_refresh(url: str, as_of: str, full: str, clv: str) -> dict[str, Any]:
    """`refresh()`; its seconds leave the CLV step out (`clv_s`, run when `clv` is 1)."""
    from zoneinfo import ZoneInfo

    from siyu.analytics.refresh import refresh
    from siyu.db.engine import make_engine

    engine = make_engine(url)
    parts: dict[str, float] = {}
    start = time.perf_counter()
    with timed_parts(parts, clv == "1"):
        result = refresh(
            engine, as_of=date.fromisoformat(as_of), zone=ZoneInfo(ZONE_NAME), full=full == "1"
        )
    seconds = time.perf_counter() - start - parts.get("clv", 0.0)
    engine.dispose()
    return {"seconds": seconds, "rows": result.recomputed, "scored": result.scored,
            "changed": result.changed, "clv_scored": result.clv.scored,
            **{f"{k}_s": round(v, 2) for k, v in parts.items()}}  # fmt: skip


# --- running ---------------------------------------------------------------------------------


PHASES: dict[str, Callable[..., dict[str, Any]]] = {
    "build": phase_build,
    "add": phase_add,
    "refresh": phase_refresh,
    "pandas": phase_pandas,
    "duckdb": phase_duckdb,
}


def run_phase(name: str, *arguments: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its result plus its peak RSS (MiB)."""
    command = [sys.executable, __file__, "--phase", name, *arguments]
    print(f"  {name} {' '.join(arguments[1:])} …", file=sys.stderr, flush=True)
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"    {result}", file=sys.stderr, flush=True)
    return result


def phase_main(name: str, arguments: list[str]) -> None:
    tree = TreeMemory()
    tree.start()
    result = PHASES[name](*arguments)
    tree.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A SQLite full refresh reads in helper processes beside this one: the peak is that of
    # the process tree (sampled), never less than this process's own; CPU counts them all
    # (not the database server's).
    result["rss_mib"] = max(usage.ru_maxrss / 1024, tree.peak_kib / 1024)  # KiB on Linux
    own, helpers = usage.ru_utime + usage.ru_stime, children.ru_utime + children.ru_stime
    result["cpu_s"] = round(own + helpers, 2)
    if children.ru_maxrss:
        result["helper_rss_mib"] = round(children.ru_maxrss / 1024)  # the largest helper's
        result["helpers_cpu_s"] = round(helpers, 2)
    print(json.dumps(result))


class TreeMemory(threading.Thread):
    """The peak of this process's resident memory plus its descendants', sampled every 0.1 s
    from /proc (Linux)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.1):
            self.peak_kib = max(self.peak_kib, _tree_rss_kib(os.getpid()))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree_rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:  # gone meanwhile, or not Linux
        return 0
    own = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
    )
    return own + sum(_tree_rss_kib(int(child)) for child in children)


def _migrated(url: str) -> None:
    from siyu.db.engine import make_engine
    from siyu.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def sqlite_store(workdir: Path, arguments: argparse.Namespace) -> tuple[str, dict[str, Any] | None]:
    """A copy of the built store (built first unless --reuse finds it); the build's result."""
    base = workdir / f"base_{_size_tag(arguments)}.db"
    built = None
    if not (arguments.reuse and base.exists()):
        for leftover in workdir.glob(f"{base.name}*"):
            leftover.unlink()
        _migrated(f"sqlite:///{base}")
        built = run_phase("build", f"sqlite:///{base}", *_size(arguments))
    for leftover in workdir.glob("refresh.db*"):
        leftover.unlink()
    shutil.copyfile(base, workdir / "refresh.db")
    url = f"sqlite:///{workdir / 'refresh.db'}"
    _migrated(url)  # a store kept by older code gets this code's schema (not timed)
    return url, built


@contextmanager
def postgres_store(
    admin_url: str, arguments: argparse.Namespace
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """A throwaway copy (CREATE DATABASE … TEMPLATE) of the built store, dropped afterwards;
    the base is built first unless --reuse finds it, and kept for later runs."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from siyu.db.engine import make_engine

    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = f"siyu_refresh_base_{_size_tag(arguments)}"
    base_url = make_url(admin_url).set(database=base).render_as_string(False)
    built = None
    with admin.connect() as connection:
        query = text("SELECT 1 FROM pg_database WHERE datname = :n")
        exists = connection.scalar(query, {"n": base})
        if not (arguments.reuse and exists):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{base}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{base}"'))
    admin.dispose()
    if not (arguments.reuse and exists):
        _migrated(base_url)
        built = run_phase("build", base_url, *_size(arguments))
    with postgres_copy(admin_url)(base_url) as url:
        _migrated(url)  # a store kept by older code gets this code's schema (not timed)
        yield url, built


def _size(arguments: argparse.Namespace) -> tuple[str, str, str]:
    return str(arguments.customers), str(arguments.orders), str(arguments.seed)


def _size_tag(arguments: argparse.Namespace) -> str:
    return "_".join(_size(arguments))


def run_backend(
    url: str,
    built: dict[str, Any] | None,
    arguments: argparse.Namespace,
    copy: Callable[[str], AbstractContextManager[str]],
) -> dict[str, dict[str, Any]]:
    customers, orders, seed = _size(arguments)
    results = {"build": built} if built else {}
    clv = "1" if arguments.clv else "0"
    results["full"] = run_phase("refresh", url, AS_OF.isoformat(), "1", clv)
    results["pandas"] = run_phase("pandas", url, AS_OF.isoformat(), str(arguments.sample))
    results["duckdb"] = run_phase("duckdb", url, AS_OF.isoformat())
    results["add"] = run_phase("add", url, customers, orders, str(arguments.new_orders), seed)
    with copy(url) as daily:  # the same store, refreshed in full instead of incrementally
        results["daily"] = run_phase("refresh", daily, NEXT_DAY.isoformat(), "1", clv)
    results["incremental"] = run_phase("refresh", url, NEXT_DAY.isoformat(), "0", clv)
    return results


@contextmanager
def sqlite_copy(url: str) -> Iterator[str]:
    """A copy of a SQLite store beside it (its WAL checkpointed first), deleted afterwards."""
    from sqlalchemy.engine import make_url

    path = Path(str(make_url(url).database))
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = path.with_name(f"{path.stem}_copy.db")
    shutil.copyfile(path, copy)
    try:
        yield f"sqlite:///{copy}"
    finally:
        for leftover in path.parent.glob(f"{copy.name}*"):
            leftover.unlink()


def postgres_copy(admin_url: str) -> Callable[[str], AbstractContextManager[str]]:
    """Copies of a PostgreSQL store (CREATE DATABASE … TEMPLATE), dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from siyu.db.engine import make_engine

    @contextmanager
    def copy(url: str) -> Iterator[str]:
        source, name = make_url(url).database, f"siyu_refresh_copy_{uuid.uuid4().hex[:10]}"
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        try:
            yield make_url(url).set(database=name).render_as_string(False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    return copy


def report(backend: str, results: dict[str, dict[str, Any]]) -> str:
    full, pandas, duck = results["full"], results["pandas"], results["duckdb"]
    incremental, daily = results["incremental"], results["daily"]
    lines = [
        f"### {backend}",
        "| phase | rows | seconds | peak RSS MiB | details |",
        "|---|---:|---:|---:|---|",
    ]
    for name, result in results.items():
        details = ", ".join(
            f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
            for key, value in result.items()
            if key not in ("seconds", "rows", "rss_mib")
        )
        lines.append(f"| {name} | {result['rows']:,} | {result['seconds']:.2f} "
                     f"| {result['rss_mib']:.0f} | {details} |")  # fmt: skip
    lines += [
        "",
        "full refresh (profiles + scoring, CLV apart) vs pandas:"
        f" {full['seconds'] / pandas['seconds']:.2f}x the time "
        f"({pandas['seconds'] / full['seconds']:.1f}x faster)",
        f"full refresh vs DuckDB aggregation alone: {full['seconds'] / duck['seconds']:.1f}x"
        f" (vs DuckDB reading the store first: "
        f"{full['seconds'] / (duck['seconds'] + duck['load_s']):.1f}x)",
        f"daily full refresh over the kept profiles ({daily['changed']:,} customers rewritten)"
        f" vs pandas: {daily['seconds'] / pandas['seconds']:.2f}x the time;"
        f" vs DuckDB: {daily['seconds'] / duck['seconds']:.1f}x",
        *(
            [
                f"with CLV: full {full['seconds'] + full['clv_s']:.2f} s, daily full "
                f"{daily['seconds'] + daily['clv_s']:.2f} s, incremental "
                f"{incremental['seconds'] + incremental['clv_s']:.2f} s"
            ]
            if full["clv_scored"]
            else []
        ),
        f"pandas agrees with siyu on {pandas['checked']:,} sampled customers",
    ]
    return "\n".join(lines)


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.machine(),
    )  # fmt: skip
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--new-orders", type=int, default=10_000)
    parser.add_argument(
        "--sample", type=int, default=2_000, help="customers checked against pandas"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-clv", dest="clv", action="store_false", help="skip the CLV phases")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SIYU_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/siyu-refresh-bench"))
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the store built before for this size and seed"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    arguments, rest = parser.parse_known_args()
    if arguments.phase:
        phase_main(arguments.phase, rest)
        return
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    everything: dict[str, dict[str, dict[str, Any]]] = {}
    if arguments.backend in ("sqlite", "both"):
        url, built = sqlite_store(arguments.workdir, arguments)
        everything["sqlite"] = run_backend(url, built, arguments, sqlite_copy)
    if arguments.backend in ("postgres", "both"):
        with postgres_store(arguments.postgres_url, arguments) as (url, built):
            copy = postgres_copy(arguments.postgres_url)
            everything["postgres"] = run_backend(url, built, arguments, copy)
    print(f"\n{datetime.now():%Y-%m-%d}, {machine()}; {arguments.customers:,} customers, "
          f"{arguments.orders:,} orders, then {arguments.new_orders:,} new orders\n")  # fmt: skip
    for backend, results in everything.items():
        print(report(backend, results) + "\n")
    if arguments.json:
        arguments.json.write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
