"""Test harness: one throw-away database per run, migrations applied once, an ASGI client.

The database is a new database on the server named by DATABASE_URL when that is set, otherwise an
embedded PostgreSQL (pgserver) in a temporary directory. As in production, the migrations run as the
owner of the tables (DATABASE_OWNER_URL) and everything else, the tests included, as the app's own role
(DATABASE_URL), which owns nothing and may only append to the audit log. Integration tests each run
inside a transaction that is rolled back at teardown (see tests/integration/conftest.py).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from litestar import Litestar

# Fixed before anything reads the settings: the tests never touch a developer's DATA_DIR or key.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="schoolit-test-"))
_SERVER_URL = os.environ.pop("DATABASE_URL", None)
os.environ.update({
    "SECRET_KEY": secrets.token_urlsafe(48),
    "DATA_DIR": str(_DATA_DIR),
    "LOG_LEVEL": "warning",
    # Servers started by tests run no scheduled jobs against the shared database; tests/integration/
    # test_jobs.py turns the scheduler on where it is the subject.
    "SCHEDULER": "off",
})
os.environ.pop("SCHOOLIT_DEMO", None)

from schoolit import db  # noqa: E402
from schoolit.migrations import apply_migrations  # noqa: E402
from schoolit.settings import Settings, get_settings  # noqa: E402


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _with_login(url: str, user: str, password: str | None) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}" if password else f"{user}@{host}"))


@pytest.fixture(scope="session")
def database_urls() -> Iterator[tuple[str, str]]:
    """DSNs (owner, app) of this run's own, empty database: the owner is the server's user, the app's
    role is made for the run."""
    from tests.support import run_sql

    if _SERVER_URL:
        name = f"schoolit_test_{uuid.uuid4().hex[:12]}"
        role, password = f"{name}_app", secrets.token_urlsafe(24)
        run_sql(_SERVER_URL, f'CREATE DATABASE "{name}"')
        run_sql(_SERVER_URL, f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        owner = _with_database(_SERVER_URL, name)
        try:
            yield owner, _with_login(owner, role, password)
        finally:
            run_sql(_SERVER_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            run_sql(_SERVER_URL, f'DROP ROLE IF EXISTS "{role}"')
    else:
        from tests.support import throwaway_cluster

        with throwaway_cluster() as server:
            owner = str(server.get_uri())
            run_sql(owner, f'CREATE ROLE "{db.EMBEDDED_APP_ROLE}" LOGIN')
            yield owner, db.with_user(owner, db.EMBEDDED_APP_ROLE)


@pytest.fixture(scope="session")
def database_url(database_urls: tuple[str, str]) -> str:
    """DSN of this run's own database, as the app's role."""
    return database_urls[1]


@pytest.fixture(scope="session")
def owner_database_url(database_urls: tuple[str, str]) -> str:
    """DSN of this run's own database, as the owner of the tables."""
    return database_urls[0]


@pytest.fixture(scope="session")
def settings(database_urls: tuple[str, str]) -> Settings:
    os.environ["DATABASE_OWNER_URL"], os.environ["DATABASE_URL"] = database_urls
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[str]:
    """The migrated test database (migrated as the owner) with the engine's pool open for the whole run,
    as the app's role."""
    async with db.connected(settings, pool=False, owner=True):
        await apply_migrations(await db.app_role(settings))
    async with db.connected(settings) as dsn:
        yield dsn


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    from schoolit.app import create_app

    return create_app(settings, manage_database=False)


@pytest.fixture
async def client(app: Litestar, database: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _DATA_DIR


def pytest_configure(config: pytest.Config) -> None:
    """Temporary directories outside /tmp/pytest-of-<user>.

    Run as root, pgserver starts PostgreSQL as user `pgserver` and opens the path to its data directory
    for it; every pytest session that starts on the same machine (other checkouts, other engineers)
    resets /tmp/pytest-of-root to mode 0700 and cuts a running cluster off ("Permission denied" in
    initdb or pg_ctl). A private base directory per run avoids that; `--basetemp` still wins.
    """
    if config.option.basetemp is None:
        config.option.basetemp = tempfile.mkdtemp(prefix="schoolit-pytest-")
        config.stash[_OWN_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(_OWN_BASETEMP, None)
    if own:
        import shutil

        shutil.rmtree(own, ignore_errors=True)


_OWN_BASETEMP = pytest.StashKey[str]()
