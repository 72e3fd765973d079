"""Choosing the PostgreSQL client tools for a server version, and keeping passwords off command lines."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from schoolit.errors import CommandFailed
from schoolit.ops import _libpq_target, find_pg_tool
from schoolit.settings import load_settings


def _fake_tool(directory: Path, name: str, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    path.chmod(0o755)
    return path


def test_pg_bindir_is_used_when_its_version_fits(tmp_path: Path) -> None:
    tool = _fake_tool(tmp_path / "bin", "pg_dump", "17.1 (Debian 17.1-1)")
    settings = load_settings({"DATA_DIR": str(tmp_path), "PG_BINDIR": str(tmp_path / "bin")})
    assert find_pg_tool("pg_dump", 16, settings) == tool
    assert find_pg_tool("pg_dump", 17, settings) == tool


def test_older_tools_are_refused_with_a_hint(tmp_path: Path) -> None:
    _fake_tool(tmp_path / "bin", "pg_dump", "15.19 (Debian 15.19-0+deb12u1)")
    settings = load_settings({"DATA_DIR": str(tmp_path), "PG_BINDIR": str(tmp_path / "bin")})
    with pytest.raises(CommandFailed, match="no pg_dump for PostgreSQL 16 or newer found in PG_BINDIR="):
        find_pg_tool("pg_dump", 16, settings)


def test_search_prefers_the_matching_major_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from schoolit import ops

    newer = _fake_tool(tmp_path / "18", "pg_restore", "18.0")
    matching = _fake_tool(tmp_path / "16", "pg_restore", "16.4")
    older = _fake_tool(tmp_path / "15", "pg_restore", "15.19")
    monkeypatch.setattr(ops, "_tool_candidates", lambda name, settings: [newer, older, matching])
    settings = load_settings({"DATA_DIR": str(tmp_path)})
    assert find_pg_tool("pg_restore", 16, settings) == matching
    assert find_pg_tool("pg_restore", 15, settings) == older
    assert find_pg_tool("pg_restore", 17, settings) == newer


def test_the_embedded_servers_own_tools_are_found(tmp_path: Path) -> None:
    """Without PG_BINDIR the pgserver package's PostgreSQL 16 binaries serve a 16 server."""
    settings = dataclasses.replace(load_settings({"DATA_DIR": str(tmp_path)}), pg_bindir=None)
    for name in ("pg_dump", "pg_restore", "psql"):
        assert find_pg_tool(name, 16, settings).name == name


@pytest.mark.parametrize(
    ("dsn", "target", "password"),
    [
        ("postgresql://schoolit:s3cr%40t@db:5432/schoolit", "postgresql://schoolit@db:5432/schoolit", "s3cr@t"),
        ("postgresql://postgres:@/postgres?host=/tmp/pg", "postgresql://postgres@/postgres?host=/tmp/pg", None),
        ("postgresql://app@db/app", "postgresql://app@db/app", None),
    ],
)
def test_password_moves_from_the_dsn_to_the_environment(
    dsn: str, target: str, password: str | None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    stripped, env = _libpq_target(dsn)
    assert stripped == target
    assert env.get("PGPASSWORD") == password
