"""Each test gets an isolated, migrated database on SQLite and, where available, PostgreSQL.

PostgreSQL: set SIYU_TEST_POSTGRES_URL (a server where the user may CREATE DATABASE). With
CI=true it defaults to postgresql+psycopg://postgres@127.0.0.1:5432/test and is mandatory.
A migrated template database is made once per session; each test gets a copy of it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from siyu.db.engine import check_connection, make_engine
from siyu.db.migrate import upgrade
from siyu.errors import DatabaseUnavailableError
from siyu.settings import normalise_database_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
CI_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def postgres_admin_url() -> str | None:
    url = os.environ.get("SIYU_TEST_POSTGRES_URL") or (CI_POSTGRES_URL if in_ci() else None)
    return normalise_database_url(url) if url else None


class PostgresServer:
    """Creates and drops throwaway databases on one server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = postgres_admin_url()
    if url is None:
        pytest.skip("PostgreSQL tests need SIYU_TEST_POSTGRES_URL (CI=true makes them mandatory)")
    server = PostgresServer(url)
    try:
        check_connection(server.admin)
    except DatabaseUnavailableError as error:
        pytest.fail(f"PostgreSQL was asked for but is unreachable: {error.message}")
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> Iterator[str]:
    name = unique_name("siyu_template")
    engine = make_engine(postgres_server.create(name))
    upgrade(engine)
    engine.dispose()
    yield name
    postgres_server.drop(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "siyu.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:  # fold the WAL into the file so a copy is complete
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of its own for this test."""
    if backend == "sqlite":
        path = tmp_path / "siyu.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = unique_name("siyu_test")
    yield server.create(name, template=request.getfixturevalue("postgres_template"))
    server.drop(name)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (for migration tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = unique_name("siyu_empty")
    yield server.create(name)
    server.drop(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated SQLite database of its own, whatever the backend (for SQLite's locking)."""
    path = tmp_path / "sqlite-only.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the repository; absent in a user's clone."""
    if not SHARED.is_dir():
        if in_ci():
            pytest.fail(f"{SHARED} is missing, but CI must run the tests that need it")
        pytest.skip(f"needs ../shared beside the repository ({SHARED} is absent)")
    return SHARED
