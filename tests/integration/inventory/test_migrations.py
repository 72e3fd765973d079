"""The inventory's migrations on a database with data: the disposal of access points (2026-12-07) keeps the
device disposals that were there, each with its id, state, certificate and people."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.integration.test_migrations import apply_up_to, new_database
from tests.support import run_cli

BEFORE_ACCESS_POINT_DISPOSALS = "2026-12-06T05:00:00:000000"


@pytest.fixture
async def old_database(database: str, owner_database_url: str) -> AsyncIterator[str]:
    """A new database migrated up to the last inventory migration before access points were disposed of."""
    async with new_database(owner_database_url) as dsn:
        await apply_up_to(dsn, {"inventory": BEFORE_ACCESS_POINT_DISPOSALS})
        yield dsn


_SEED = [
    "INSERT INTO county (id, name, slug, state, ags, seat, created_at) "
    "VALUES (1, 'Donnersbergkreis', 'donnersbergkreis', 'RP', '07333', '', now())",
    "INSERT INTO school (id, county_id, school_number, name, school_type, street, postal_code, city, pupils, "
    "created_at, updated_at) VALUES (1, 1, '41001', 'Nordpfalzgymnasium', 'gymnasium', '', '', '', 1, now(), now())",
    "INSERT INTO device (id, county_id, school_id, kind, serial, status, funding_programme, disposed_on, "
    "disposal_reason) VALUES (1, 1, 1, 'tablet', 'DEV-1', 'disposed', 'other', '2026-12-01', 'defective'), "
    "(2, 1, 1, 'laptop', 'DEV-2', 'stock', 'other', NULL, NULL)",
    "INSERT INTO access_point (id, county_id, school_id, serial, status) VALUES (1, 1, 1, 'AP-1', 'retired')",
    "INSERT INTO device_disposal (county_id, device_id, reason, note, state, certificate_name, "
    "certificate_type, certificate_size, certificate_sha256, requested_by, requested_by_label, requested_at, "
    "decided_by, decided_by_label, decided_at, decision_note, disposed_on) VALUES "
    "(1, 1, 'defective', 'Display', 'approved', 'loesch.pdf', 'application/pdf', 120, repeat('a', 64), 11, "
    "'support@example.org', '2026-11-30 10:00+01', 12, 'st@example.org', '2026-12-01 09:00+01', 'geprüft', "
    "'2026-12-01'), "
    "(1, 2, 'obsolete', '', 'pending', 'protokoll.png', 'image/png', 99, repeat('b', 64), 11, "
    "'support@example.org', '2026-12-02 10:00+01', NULL, '', NULL, '', NULL)",
]
_COLUMNS = ("id, county_id, device_id, reason, note, state, certificate_name, certificate_type, certificate_size, "
            "certificate_sha256, requested_by, requested_by_label, requested_at, decided_by, decided_by_label, "
            "decided_at, decision_note, disposed_on")


async def test_device_disposals_are_kept_and_access_points_join_them(old_database: str, tmp_path: Path) -> None:
    conn = await asyncpg.connect(old_database)
    try:
        for statement in _SEED:
            await conn.execute(statement)
        before = [dict(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM device_disposal ORDER BY id")]  # noqa: S608 (constants)
    finally:
        await conn.close()

    migrated = await asyncio.to_thread(run_cli, "migrate", env={"DATABASE_URL": old_database,
                                                                "DATA_DIR": str(tmp_path / "data")})
    assert migrated.returncode == 0, migrated.stderr

    conn = await asyncpg.connect(old_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('device_disposal')") is None
        after = [dict(r) for r in await conn.fetch(
            f"SELECT {_COLUMNS}, access_point_id FROM disposal ORDER BY id")]  # noqa: S608 (constants)
        assert [{k: v for k, v in row.items() if k != "access_point_id"} for row in after] == before
        assert [row["access_point_id"] for row in after] == [None, None]
        # The numbering goes on after the kept rows; an access point's disposal joins them.
        added = await conn.fetchval(
            "INSERT INTO disposal (county_id, access_point_id, reason, certificate_name, certificate_type, "
            "certificate_size, certificate_sha256) VALUES (1, 1, 'obsolete', 'reset.pdf', 'application/pdf', 1, "
            "repeat('c', 64)) RETURNING id")
        assert added == max(row["id"] for row in before) + 1
        # Exactly one asset, one pending disposal per asset, as for devices.
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO disposal (county_id, device_id, access_point_id, reason, certificate_name, "
                "certificate_type, certificate_size, certificate_sha256) VALUES (1, 2, 1, 'obsolete', 'x.pdf', "
                "'application/pdf', 1, repeat('d', 64))")
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO disposal (county_id, access_point_id, reason, certificate_name, certificate_type, "
                "certificate_size, certificate_sha256) VALUES (1, 1, 'other', 'y.pdf', 'application/pdf', 1, "
                "repeat('e', 64))")
        point = await conn.fetchrow("SELECT status, disposed_on, disposal_reason FROM access_point WHERE id = 1")
        assert dict(point) == {"status": "retired", "disposed_on": None, "disposal_reason": None}
    finally:
        await conn.close()
