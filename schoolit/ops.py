"""Backups and restores: `schoolit backup DIR` and `schoolit restore FILE [--force]`.

A backup is one uncompressed tar file, `schoolit-backup-<UTC time>.tar` (mode 0600), holding

- `manifest.json`: format version, schoolit version, creation time, PostgreSQL server and pg_dump major
  versions, the applied migrations, the size and SHA-256 of the dump, the number and bytes of attachments;
- `database.dump`: `pg_dump --format=custom` of the whole database (already compressed);
- `attachments/`: a copy of `DATA_DIR/attachments` (photos and PDFs, which compress poorly).

Restoring checks the manifest and the dump's checksum first, refuses a database that holds any table
(or an attachments directory that holds any file) unless `--force`, and then replays the dump in ONE
transaction (`pg_restore --file=- | psql --single-transaction`), so a failed restore changes nothing.
With `--force` the same transaction first drops the `public` schema.

pg_dump cannot dump a server newer than itself, and Debian 12's client is PostgreSQL 15 while the
embedded server (pgserver) and the compose image are 16, so the tools are looked up by version: the
binaries matching the server's major version first (pgserver ships 16; /usr/lib/postgresql/N/bin;
PATH), else the nearest newer ones. `PG_BINDIR` names a directory to use instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from schoolit import __version__
from schoolit.errors import CommandFailed
from schoolit.kernel.i18n import counted
from schoolit.settings import Settings

FORMAT = "schoolit-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
ATTACHMENTS = "attachments"

# Relations that make a database "not empty" (tables, views, sequences, ...) outside the system schemas.
_USER_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
"""


# --- PostgreSQL client tools ------------------------------------------------------------------------

def _tool_major(path: Path) -> int | None:
    """Major version of a PostgreSQL client binary (`pg_dump (PostgreSQL) 16.2` -> 16)."""
    try:
        out = subprocess.run(  # noqa: S603 - a binary we found ourselves, fixed arguments, no shell
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def _tool_candidates(name: str, settings: Settings) -> list[Path]:
    if settings.pg_bindir is not None:
        return [settings.pg_bindir / name]
    candidates: list[Path] = []
    spec = importlib.util.find_spec("pgserver")  # locate without importing (its import is slow and noisy)
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(loc) / "pginstall" / "bin" / name for loc in spec.submodule_search_locations]
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    return candidates


def find_pg_tool(name: str, major: int, settings: Settings) -> Path:
    """The `name` binary for PostgreSQL `major`: the same major version if any, else the nearest newer one."""
    versions: dict[Path, int] = {}
    for candidate in _tool_candidates(name, settings):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            found = _tool_major(candidate)
            if found is not None and found >= major:
                versions.setdefault(candidate.resolve(), found)
    if not versions:
        where = f"in PG_BINDIR={settings.pg_bindir}" if settings.pg_bindir else "(install postgresql-client-" \
            f"{major} or set PG_BINDIR)"
        raise CommandFailed(f"no {name} for PostgreSQL {major} or newer found {where}")
    return min(versions, key=lambda path: versions[path])


def _libpq_target(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN without its password, and an environment carrying the password instead, so the password
    does not show in the process list."""
    parts = urlsplit(dsn)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
        parts = parts._replace(netloc=f"{user}@{host}")
    return urlunsplit(parts), env


def _first_line(text: str, fallback: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    return (errors or lines or [fallback])[0]


# --- database facts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatabaseFacts:
    server_major: int
    user_relations: int
    migrations: list[str]


async def _database_facts(dsn: str) -> DatabaseFacts:
    import asyncpg

    conn = await asyncpg.connect(dsn=dsn)
    try:
        relations = int(await conn.fetchval(_USER_RELATIONS))
        migrations: list[str] = []
        if await conn.fetchval("SELECT to_regclass('public.migration') IS NOT NULL"):
            rows = await conn.fetch("SELECT app_name, name FROM migration ORDER BY id")
            migrations = [f"{row['app_name']} {row['name']}" for row in rows]
        return DatabaseFacts(conn.get_server_version().major, relations, migrations)
    finally:
        await conn.close()


# --- backup -----------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _attachment_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


@contextlib.contextmanager
def _scratch(parent: Path) -> Iterator[Path]:
    """A private temporary directory inside `parent` (same file system, so renames are atomic)."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".schoolit-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class BackupReport:
    path: Path
    manifest: dict[str, Any]


async def backup(settings: Settings, directory: Path) -> BackupReport:
    """Write a backup archive into `directory` (an absolute path)."""
    from schoolit.db import connected

    attachments = settings.data_dir / ATTACHMENTS
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"schoolit-backup-{stamp}.tar"
    with _scratch(directory) as scratch:
        dump = scratch / DUMP
        async with connected(settings, pool=False, owner=True) as dsn:
            facts = await _database_facts(dsn)
            pg_dump = find_pg_tool("pg_dump", facts.server_major, settings)
            libpq_dsn, env = _libpq_target(dsn)
            result = await asyncio.to_thread(
                subprocess.run,
                [str(pg_dump), "--format=custom", "--no-password", f"--file={dump}", f"--dbname={libpq_dsn}"],
                env=env, capture_output=True, text=True, check=False,
            )
        if result.returncode != 0:
            raise CommandFailed(f"pg_dump failed: {_first_line(result.stderr, f'exit code {result.returncode}')}")
        files = _attachment_files(attachments)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "schoolit_version": __version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "server_major": facts.server_major,
            "pg_dump_major": _tool_major(pg_dump),
            "migrations": facts.migrations,
            "database": {"file": DUMP, "bytes": dump.stat().st_size, "sha256": _sha256(dump)},
            "attachments": {"files": len(files), "bytes": sum(p.stat().st_size for p in files)},
        }
        (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        partial = scratch / target.name
        # The archive holds personal data (pseudonyms, loans, tickets): readable by its owner only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(scratch / MANIFEST, arcname=MANIFEST)
            tar.add(dump, arcname=DUMP)
            if attachments.is_dir():
                tar.add(attachments, arcname=ATTACHMENTS)
        partial.rename(target)  # appears only when complete
    return BackupReport(target, manifest)


# --- restore ----------------------------------------------------------------------------------------

def _read_archive(archive: Path, scratch: Path) -> dict[str, Any]:
    """Unpack the archive into `scratch` and check it; returns the manifest."""
    if archive.is_dir():
        raise CommandFailed(f"{archive} is a directory; name a schoolit-backup-*.tar file in it")
    if not archive.is_file():
        raise CommandFailed(f"backup file {archive} does not exist")
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            # The "data" filter refuses absolute paths, links leaving the tree and device files.
            tar.extractall(scratch, filter="data")
    except tarfile.TarError as exc:
        raise CommandFailed(f"{archive} is not a readable schoolit backup (not a tar archive, or damaged)") from exc
    except OSError as exc:
        raise CommandFailed(f"cannot unpack {archive}: {exc.strerror or exc}") from exc
    try:
        manifest: dict[str, Any] = json.loads((scratch / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise CommandFailed(f"{archive} has no readable {MANIFEST}; is it a schoolit backup?") from exc
    if manifest.get("format") != FORMAT:
        raise CommandFailed(f"{archive} has format {manifest.get('format')!r}; this schoolit reads {FORMAT!r}")
    dump = scratch / DUMP
    if not dump.is_file() or _sha256(dump) != manifest["database"]["sha256"]:
        raise CommandFailed(f"{archive}: the database dump is missing or damaged (checksum mismatch)")
    return manifest


def _replay(pg_restore: Path, psql: Path, dump: Path, dsn: str, *, replace: bool) -> None:
    """pg_restore's SQL piped into psql as one transaction; with `replace`, the old schema goes first."""
    libpq_dsn, env = _libpq_target(dsn)
    first = ["--command=DROP SCHEMA public CASCADE", "--command=CREATE SCHEMA public"] if replace else []
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        producer = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [str(pg_restore), "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE, stderr=restore_err, env=env,
        )
        consumer = subprocess.Popen(  # noqa: S603
            [str(psql), "--no-psqlrc", "--quiet", "--no-password", "--single-transaction",
             "--set=ON_ERROR_STOP=1", *first, "--file=-", f"--dbname={libpq_dsn}"],
            stdin=producer.stdout, stdout=subprocess.DEVNULL, stderr=psql_err, env=env,
        )
        assert producer.stdout is not None
        producer.stdout.close()  # psql owns the pipe now; pg_restore sees EPIPE if psql stops early
        consumer.wait()
        producer.wait()
        if consumer.returncode != 0:
            psql_err.seek(0)
            message = _first_line(psql_err.read().decode(errors="replace"), f"exit code {consumer.returncode}")
            raise CommandFailed(f"restore failed, database unchanged: {message}")
        if producer.returncode != 0:
            restore_err.seek(0)
            message = _first_line(restore_err.read().decode(errors="replace"), f"exit code {producer.returncode}")
            raise CommandFailed(f"pg_restore failed: {message}")


def _swap_in(new: Path, target: Path) -> None:
    """Put directory `new` where `target` is, removing what was there."""
    old = target.with_name(target.name + ".replaced")
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class RestoreReport:
    manifest: dict[str, Any]
    pending_migrations: int


async def restore(settings: Settings, archive: Path, *, force: bool) -> RestoreReport:
    """Restore database and attachments from `archive` (an absolute path); refuses non-empty targets
    unless `force`."""
    from schoolit.db import app_role, connected
    from schoolit.migrations import grant_app_role, pending_migrations

    attachments = settings.data_dir / ATTACHMENTS
    with _scratch(settings.data_dir) as scratch:
        manifest = _read_archive(archive, scratch)
        existing = _attachment_files(attachments)
        if existing and not force:
            raise CommandFailed(f"{attachments} is not empty ({counted(len(existing), 'file', 'files')}); "
                                "restore into an empty data directory, or pass --force to replace it")
        async with connected(settings, pool=False, owner=True) as dsn:
            facts = await _database_facts(dsn)
            if facts.user_relations and not force:
                raise CommandFailed(f"the database is not empty ({facts.user_relations} tables and sequences); "
                                    "restore into an empty database, or pass --force to replace it")
            # The tools must read the archive (made by pg_dump N) and talk to this server.
            major = max(facts.server_major, int(manifest.get("pg_dump_major") or 0))
            pg_restore = find_pg_tool("pg_restore", major, settings)
            psql = find_pg_tool("psql", major, settings)
            await asyncio.to_thread(_replay, pg_restore, psql, scratch / DUMP, dsn,
                                    replace=force and facts.user_relations > 0)
            pending = len(await pending_migrations(read_only=True))
            role = await app_role(settings)
            if role:  # the dump carries no privileges (--no-privileges): the app's are granted anew
                await grant_app_role(role)
        restored = scratch / ATTACHMENTS
        if not restored.is_dir():
            restored.mkdir()
        _swap_in(restored, attachments)
    return RestoreReport(manifest, pending)


# --- command line -----------------------------------------------------------------------------------

def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    directory = args.directory.expanduser().resolve()
    if directory.exists() and not directory.is_dir():
        raise CommandFailed(f"{directory} is a file, not a directory for backups")
    report = asyncio.run(backup(settings, directory))
    print(f"backup written: {report.path} (database {report.manifest['database']['bytes']} bytes, "
          f"{counted(report.manifest['attachments']['files'], 'attachment', 'attachments')})")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    report = asyncio.run(restore(settings, args.archive.expanduser().resolve(), force=args.force))
    print(f"restored backup of {report.manifest['created_at']} "
          f"({counted(report.manifest['attachments']['files'], 'attachment', 'attachments')})")
    if report.pending_migrations:
        print(f"{counted(report.pending_migrations, 'migration is', 'migrations are')} pending: run `schoolit migrate`")
    return 0


def add_commands(commands: Any) -> None:
    """Register `backup` and `restore` on the `schoolit` command's subparsers."""
    backup_parser = commands.add_parser(
        "backup", help="write a backup (database dump and attachments) into a directory",
        description="Write schoolit-backup-<time>.tar into DIR: a pg_dump (custom format) of the database, "
                    "the attachments in DATA_DIR/attachments and a manifest.")
    backup_parser.add_argument("directory", metavar="DIR", type=Path, help="where to write the archive")
    backup_parser.set_defaults(handler=cmd_backup)

    restore_parser = commands.add_parser(
        "restore", help="restore a backup into an empty database (--force to replace one)",
        description="Restore database and attachments from a backup archive. Stop the app first. "
                    "A database with tables, or attachments already present, are only replaced with --force.")
    restore_parser.add_argument("archive", metavar="FILE", type=Path, help="a schoolit-backup-*.tar file")
    restore_parser.add_argument("--force", action="store_true", help="replace a database that is not empty")
    restore_parser.set_defaults(handler=cmd_restore)
