"""`GET /health`: 200 only while the database answers, 503 once it is gone."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.support import run_cli, running_server, throwaway_cluster


async def test_health_ok_with_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_503_when_database_goes_down(tmp_path: Path) -> None:
    """A real server process on its own PostgreSQL; the PostgreSQL is stopped under it."""
    with throwaway_cluster() as server:
        env = {"DATABASE_URL": str(server.get_uri()), "DATA_DIR": str(tmp_path / "data")}
        assert run_cli("migrate", env=env).returncode == 0
        with running_server(env) as base:
            assert httpx.get(base + "/health", timeout=5).json() == {"status": "ok"}
            server.cleanup()  # stops the cluster under the running app
            assert not os.path.exists(os.path.join(server.pgdata, "postmaster.pid"))
            response = httpx.get(base + "/health", timeout=10)
            assert response.status_code == 503
            assert response.json() == {"status": "unavailable"}
            # The app itself keeps serving pages that need no database.
            assert httpx.get(base + "/", timeout=5).status_code == 200
