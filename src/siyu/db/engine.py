"""Engines and sessions, made on demand from settings (never at import time)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from siyu.errors import DatabaseBusyError, DatabaseUnavailableError

BUSY_TIMEOUT_MS = 30_000  # how long a SQLite statement waits for a lock held by another writer
JOB_WAIT_SECONDS = 900.0  # how long a job's write transaction waits for SQLite's write lock
BUSY_POLL_MS = 250  # … trying to take it again this often


def make_engine(url: str, **options: Any) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise DatabaseUnavailableError(f"cannot parse database URL: {error}") from error
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def vacuum_analyze(engine: Engine, tables: Sequence[str]) -> None:
    """PostgreSQL, after rewriting whole tables: VACUUM (ANALYZE) them, outside any
    transaction, so the planner knows their new contents and index-only scans can skip the
    heap (the visibility map) right away, not when autovacuum comes. SQLite needs neither."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")


def check_connection(engine: Engine) -> None:
    """Raise a one-line DatabaseUnavailableError if the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise DatabaseUnavailableError(
            f"cannot reach database {redact_url(engine.url.render_as_string(False))}: {reason}"
        ) from error


def redact_url(url: str) -> str:
    """The URL with its password hidden, for display."""
    return make_url(url).render_as_string(hide_password=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with session_factory(engine).begin() as session:
        yield session


@contextmanager
def job_transaction(
    engine: Engine,
    *,
    wait: float = JOB_WAIT_SECONDS,
    sqlite_pragmas: Sequence[str] = (),
    connection: Connection | None = None,
) -> Iterator[Session]:
    """The transaction of a job that writes (an import's batch, a refresh).

    SQLite has one writer at a time, and a full refresh holds the write lock for its whole run
    (minutes at a million customers): a plain transaction's first write waits for it only as
    long as the busy timeout (30 s), then fails with "database is locked". This one takes the
    write lock before anything else (BEGIN IMMEDIATE), waiting up to `wait` seconds for the
    writer ahead of it, then fails with DatabaseBusyError (imports resume where they stopped);
    what it reads is then read inside its transaction too. Readers are not blocked.
    `sqlite_pragmas` ("PRAGMA name = value") are set on its connection before the transaction
    begins (some, like temp_store, cannot change inside one) and set back after it ends.
    PostgreSQL: a plain transaction (its writers lock rows, not the database).

    `connection`: run on this connection (one a job holds across its transactions, e.g. with
    `sqlite_settings` around them) instead of one from the engine's pool."""
    if engine.dialect.name != "sqlite":
        if connection is None:
            with session_factory(engine).begin() as session:
                yield session
        else:
            with Session(connection, expire_on_commit=False) as session, session.begin():
                yield session
        return
    with ExitStack() as stack:
        if connection is None:
            connection = stack.enter_context(engine.connect())
        stack.enter_context(sqlite_settings(connection, sqlite_pragmas))
        session = stack.enter_context(Session(connection, expire_on_commit=False))
        stack.enter_context(session.begin())
        _begin_immediate(session, wait)
        yield session


@contextmanager
def sqlite_settings(connection: Connection, pragmas: Sequence[str]) -> Iterator[None]:
    """SQLite: `pragmas` ("PRAGMA name = value") set on `connection`, outside any transaction,
    and set back to what they were when the block ends, so a pooled connection does not keep
    a job's settings. Nothing on PostgreSQL."""
    if connection.dialect.name != "sqlite" or not pragmas:
        yield
        return
    previous = [_pragma_now(connection, pragma) for pragma in pragmas]
    _run(connection, pragmas)
    try:
        yield
    finally:
        _run(connection, previous)


def _pragma_now(connection: Connection, pragma: str) -> str:
    """`PRAGMA name = value` as it stands now on the connection, for `pragma`'s name."""
    name = pragma.removeprefix("PRAGMA").split("=")[0].strip()
    return f"PRAGMA {name} = {connection.exec_driver_sql(f'PRAGMA {name}').scalar()}"


def _run(connection: Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)
    connection.commit()  # ends SQLAlchemy's own transaction; pysqlite began none for PRAGMAs


def _begin_immediate(session: Session, wait: float) -> None:
    """BEGIN IMMEDIATE, tried again every BUSY_POLL_MS until `wait` has passed: a wait inside
    SQLite's own busy handler could not be interrupted (Ctrl-C is handled between tries)."""
    connection = session.connection()
    deadline = time.monotonic() + wait
    connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_POLL_MS}")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if "locked" not in str(error.orig):
                    raise
                if time.monotonic() >= deadline:
                    raise DatabaseBusyError(
                        f"the database was busy for {wait:g} s: another job (a refresh, an "
                        "import) held its write lock all that time; run this again when it has "
                        "finished"
                    ) from error
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
