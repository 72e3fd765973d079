"""`GET /health`: 200 only while the database answers, 503 once it is gone."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pgserver

from tests.support import run_cli, running_server


async def test_health_ok_with_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_503_when_database_goes_down(tmp_path: Path) -> None:
    """A real server process on its own PostgreSQL; the PostgreSQL is stopped under it."""
    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="delete")
    dsn = str(server.get_uri())
    env = {"DATABASE_URL": dsn, "DATA_DIR": str(tmp_path / "data")}
    assert run_cli("migrate", env=env).returncode == 0
    with running_server(env) as base:
        assert httpx.get(base + "/health", timeout=5).json() == {"status": "ok"}
        server.cleanup()  # stops (and deletes) the cluster under the running app
        response = httpx.get(base + "/health", timeout=10)
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable"}
        # The app itself keeps serving pages that need no database.
        assert httpx.get(base + "/", timeout=5).status_code == 200
    assert not os.path.exists(tmp_path / "pg" / "postmaster.pid")
