"""`schoolit backup` and `schoolit restore`, run as real commands against a throw-away PostgreSQL 16
(pgserver) with the demo data and some attachments: backup -> drop -> restore gives the same rows and
files; a non-empty target is refused unless --force; a damaged archive is refused."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pgserver
import pytest

from tests.support import run_cli

KEY_TABLES = {"county", "arrangement", "arrangement_member", "school", "migration"}
CHECKSUM = "SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM TABLE t"


async def _execute(dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _fetchval(dsn: str, query: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


class Cluster:
    """A throw-away PostgreSQL cluster with one application database that can be dropped and recreated."""

    def __init__(self, root: Path) -> None:
        self.server = pgserver.get_server(root / "pg", cleanup_mode="delete")
        self.admin_dsn = str(self.server.get_uri())
        self.dsn = str(self.server.get_uri("schoolit"))
        self.data_dir = root / "data"
        self.env = {"DATABASE_URL": self.dsn, "DATA_DIR": str(self.data_dir)}

    def recreate_database(self) -> None:
        asyncio.run(_execute(self.admin_dsn, "DROP DATABASE IF EXISTS schoolit WITH (FORCE)",
                             "CREATE DATABASE schoolit"))

    def snapshot(self) -> dict[str, tuple[int, str]]:
        """Row count and an order-independent checksum of every table in the schema."""

        async def run() -> dict[str, tuple[int, str]]:
            conn = await asyncpg.connect(self.dsn)
            try:
                tables = [r["tablename"] for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
                result = {}
                for table in tables:
                    # Table names come from pg_tables, not from input.
                    row = await conn.fetchrow(CHECKSUM.replace("TABLE", f'public."{table}"'))
                    result[table] = (row["n"], row["sum"])
                return result
            finally:
                await conn.close()

        return asyncio.run(run())


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Not under pytest's tmp_path: as root, pgserver runs PostgreSQL as user `pgserver`, and any other
    # pytest session starting on this machine resets /tmp/pytest-of-root to mode 0700 under it.
    with tempfile.TemporaryDirectory(prefix="schoolit-ops-", ignore_cleanup_errors=True) as root:
        cluster = Cluster(Path(root))
        try:
            cluster.recreate_database()
            yield cluster
        finally:
            cluster.server.cleanup()


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _seeded(cluster: Cluster) -> dict[str, str]:
    assert run_cli("migrate", env=cluster.env).returncode == 0
    seed = run_cli("seed", "--demo", env=cluster.env)
    assert seed.returncode == 0, seed.stderr
    attachments = cluster.data_dir / "attachments"
    (attachments / "tickets" / "17").mkdir(parents=True)
    (attachments / "tickets" / "17" / "foto.jpg").write_bytes(bytes(range(256)) * 40)
    (attachments / "loans" / "vertrag 2026.pdf").parent.mkdir(parents=True)
    (attachments / "loans" / "vertrag 2026.pdf").write_bytes(b"%PDF-1.7 Leihvertrag")
    return _files(attachments)


def _backup(cluster: Cluster, directory: Path) -> Path:
    result = run_cli("backup", str(directory), env=cluster.env)
    assert result.returncode == 0, result.stderr
    archives = list(directory.glob("schoolit-backup-*.tar"))
    assert len(archives) == 1
    assert result.stdout.startswith(f"backup written: {archives[0]}")
    assert archives[0].stat().st_mode & 0o077 == 0  # personal data: owner only
    return archives[0]


def test_backup_drop_restore_gives_identical_data(cluster: Cluster, tmp_path: Path) -> None:
    files = _seeded(cluster)
    before = cluster.snapshot()
    assert set(before) >= KEY_TABLES
    assert before["school"][0] > 100 and before["county"][0] > 10  # the demo data is really there
    archive = _backup(cluster, tmp_path / "backups")

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        assert {"manifest.json", "database.dump"} <= set(tar.getnames())
    assert manifest["server_major"] == 16 and manifest["pg_dump_major"] == 16
    assert manifest["attachments"] == {"files": 2, "bytes": 256 * 40 + len(b"%PDF-1.7 Leihvertrag")}
    assert len(manifest["migrations"]) == before["migration"][0]

    cluster.recreate_database()
    for path in sorted((cluster.data_dir / "attachments").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert asyncio.run(_fetchval(cluster.dsn, "SELECT to_regclass('public.school') IS NULL"))
    assert not any((cluster.data_dir / "attachments").rglob("*.*"))

    result = run_cli("restore", str(archive), env=cluster.env)
    assert result.returncode == 0, result.stderr
    assert cluster.snapshot() == before
    assert _files(cluster.data_dir / "attachments") == files
    check = run_cli("migrate", "--check", env=cluster.env)
    assert (check.returncode, check.stdout.strip()) == (0, "database is up to date")


def _one_line_error(result: object) -> str:
    returncode, stderr = result.returncode, result.stderr  # type: ignore[attr-defined]
    assert returncode == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("schoolit: error: ")
    return str(lines[0])


def test_restore_refuses_a_non_empty_database_unless_forced(cluster: Cluster, tmp_path: Path) -> None:
    _seeded(cluster)
    before = cluster.snapshot()
    archive = _backup(cluster, tmp_path / "backups")
    # Changes after the backup, which a forced restore must undo.
    asyncio.run(_execute(cluster.dsn, "UPDATE school SET name = name || ' (geändert)' WHERE school_number IN "
                                      "(SELECT school_number FROM school ORDER BY school_number LIMIT 5)",
                         "CREATE TABLE stray (id int)"))
    changed = cluster.snapshot()
    assert changed != before

    refused = _one_line_error(run_cli("restore", str(archive), env=cluster.env))
    assert "is not empty" in refused and "--force" in refused
    assert cluster.snapshot() == changed  # nothing was touched

    (cluster.data_dir / "attachments" / "newer.txt").write_text("added after the backup")
    forced = run_cli("restore", "--force", str(archive), env=cluster.env)
    assert forced.returncode == 0, forced.stderr
    assert cluster.snapshot() == before
    assert not (cluster.data_dir / "attachments" / "newer.txt").exists()
    assert asyncio.run(_fetchval(cluster.dsn, "SELECT to_regclass('public.stray') IS NULL"))


def test_restore_refuses_damaged_or_foreign_files(cluster: Cluster, tmp_path: Path) -> None:
    _seeded(cluster)
    archive = _backup(cluster, tmp_path / "backups")
    cluster.recreate_database()

    missing = _one_line_error(run_cli("restore", str(tmp_path / "nope.tar"), env=cluster.env))
    assert "does not exist" in missing
    not_tar = tmp_path / "notes.tar"
    not_tar.write_text("not an archive")
    assert "not a readable schoolit backup" in _one_line_error(run_cli("restore", str(not_tar), env=cluster.env))

    # The same archive with one byte of the dump changed: the checksum catches it before the database.
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name == "database.dump" and data is not None:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    assert "checksum" in _one_line_error(run_cli("restore", str(damaged), env=cluster.env))
    assert asyncio.run(_fetchval(cluster.dsn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) == 0
