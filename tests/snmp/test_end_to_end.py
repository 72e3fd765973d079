"""Agent and server together, over real HTTP, against real Net-SNMP: every poll is stored exactly
once, and counted once in state and rollups, whether the server dies during a run or an answer is
lost on the way back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from schoolit.inventory.secrets import encrypt
from schoolit.probes.simulators import RunningAgent
from tests.support import free_port, register_probe, run_cli, running_server, start_server, throwaway_cluster

AGENT = [sys.executable, "-m", "schoolit.probes.agent"]


def _sql(dsn: str, statements: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    async def go() -> list[Any]:
        conn = await asyncpg.connect(dsn)
        try:
            return [await conn.fetch(sql, *args) for sql, args in statements]
        finally:
            await conn.close()

    return asyncio.run(go())


@pytest.fixture
def deployment(snmpd: RunningAgent, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A migrated database with one school whose access points and uplink are snmpd's ports."""
    with throwaway_cluster() as cluster:
        dsn = str(cluster.get_uri())
        env = {"DATABASE_URL": dsn, "DATA_DIR": str(tmp_path / "data")}
        assert run_cli("migrate", env=env).returncode == 0
        assert run_cli("seed", "--demo", env=env).returncode == 0
        # encrypt() reads the same SECRET_KEY the server gets (the test run's environment).
        community = encrypt(snmpd.community)
        ports = snmpd.ports[:12]
        statements: list[tuple[str, tuple[Any, ...]]] = [
            ("INSERT INTO snmp_profile (county_id, name, version, community_encrypted, v3_user, auth_protocol, "
             "priv_protocol, created_at, updated_at) SELECT county_id, 'v2c', '2c', $1, '', '', '', now(), now() "
             "FROM school WHERE school_number = '51600'", (community,)),
        ]
        for index, port in enumerate(ports):
            statements.append((
                "INSERT INTO access_point (county_id, school_id, name, vendor, model, serial, management_ip, "
                "snmp_port, snmp_profile_id, status, funding_programme, created_at, updated_at) "
                "SELECT s.county_id, s.id, $1, 'generic', 'Net-SNMP', $2, '127.0.0.1', $3, p.id, 'active', 'other', "
                "now(), now() FROM school s JOIN snmp_profile p ON p.county_id = s.county_id AND p.name = 'v2c' "
                "WHERE s.school_number = '51600'", (f"AP {index}", f"E2E{index:04d}", port)))
        # The demo gives the school's own access points and router 10.x addresses; take them out of the
        # probe's targets, and make sure nothing but loopback is ever polled from here.
        statements += [
            ("UPDATE access_point SET management_ip = NULL WHERE serial NOT LIKE 'E2E%'", ()),
            ("UPDATE uplink SET router_ip = NULL", ()),
        ]
        _sql(dsn, statements)
        hosts = _sql(dsn, [("SELECT DISTINCT host(management_ip) AS host FROM access_point "
                            "WHERE management_ip IS NOT NULL", ())])[0]
        assert [h["host"] for h in hosts] == ["127.0.0.1"]
        token = register_probe(env, "--name", "Sonde KIB", "--school", "51600")
        token_file = tmp_path / "token"
        token_file.write_text(token + "\n")
        yield {"dsn": dsn, "env": env, "token_file": token_file, "targets": len(ports),
               "spool": tmp_path / "spool"}


def run_agent(server: str, deployment: dict[str, Any], *extra: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run(
        [*AGENT, "run", "--server", server, "--token-file", str(deployment["token_file"]),
         "--spool", str(deployment["spool"]), "--timeout", "1", "--batch-size", "1", *extra],
        capture_output=True, text=True, timeout=120, check=False)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return result.returncode, summary


def stored(dsn: str) -> list[Any]:
    return _sql(dsn, [("SELECT asset_id, polled_at, count(*) AS copies FROM probe_sample "
                       "GROUP BY asset_id, polled_at ORDER BY polled_at", ())])[0]


def assert_derived_once(deployment: dict[str, Any]) -> None:
    """Every stored poll is in the rollups exactly once and the state is at each asset's last poll.

    What the servers' workers had not derived when they stopped, `schoolit maintenance derive` does."""
    derive = run_cli("maintenance", "derive", env=deployment["env"])
    assert derive.returncode == 0, derive.stderr
    pending, counts, current = _sql(deployment["dsn"], [
        ("SELECT count(*) AS n FROM probe_ingest_batch WHERE derived_at IS NULL", ()),
        ("SELECT (SELECT count(*) FROM probe_sample) AS stored, "
         "(SELECT sum(samples) FROM probe_rollup_hours) AS hourly, "
         "(SELECT sum(samples) FROM probe_rollup_days) AS daily", ()),
        ("SELECT count(*) AS n FROM probe_asset_state s WHERE s.last_polled_at = "
         "(SELECT max(p.polled_at) FROM probe_sample p WHERE p.asset_kind = s.asset_kind AND p.asset_id = s.asset_id)",
         ()),
    ])
    assert pending[0]["n"] == 0
    assert counts[0]["stored"] == counts[0]["hourly"] == counts[0]["daily"], dict(counts[0])
    assert current[0]["n"] == deployment["targets"]


def wait_until_derived(dsn: str, within: float = 30) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if _sql(dsn, [("SELECT count(*) AS n FROM probe_ingest_batch WHERE derived_at IS NULL", ())])[0][0]["n"] == 0:
            return True
        time.sleep(0.05)
    return False


def test_a_run_stores_every_poll(deployment: dict[str, Any]) -> None:
    with running_server(deployment["env"]) as base:
        code, summary = run_agent(base, deployment)
        assert wait_until_derived(deployment["dsn"])  # the server's own worker derives, unasked
    assert code == 0, summary
    rows = stored(deployment["dsn"])
    assert len(rows) == deployment["targets"] and all(r["copies"] == 1 for r in rows)
    assert_derived_once(deployment)


@contextlib.contextmanager
def answer_dropping_proxy(upstream_port: int) -> Iterator[str]:
    """Forwards each request to the server, then closes the connection instead of answering: the
    server has stored the batch, the agent never hears so."""
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1)) \
            if re.search(rb"content-length: (\d+)", head, re.IGNORECASE) else 0
        body = await reader.readexactly(length)
        # Ask the server to close after answering, so the whole answer is "read until EOF".
        head = re.sub(rb"(?im)^connection:.*\r\n", b"", head)
        head = head[:-2] + b"Connection: close\r\n\r\n"
        up_writer.write(head + body)
        await up_writer.drain()
        answer = await up_reader.read()
        if head.startswith(b"POST"):
            writer.close()  # the answer is lost
        else:
            writer.write(answer)
            await writer.drain()
            writer.close()
        up_writer.close()

    stop: list[asyncio.Event] = []

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        stop.append(asyncio.Event())
        ready.set()
        await stop[0].wait()
        server.close()
        await server.wait_closed()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(5)
        loop.close()


def test_lost_answers_are_replayed_and_stored_once(deployment: dict[str, Any]) -> None:
    with running_server(deployment["env"]) as base:
        upstream = int(base.rsplit(":", 1)[1])
        with answer_dropping_proxy(upstream) as proxy:
            code, summary = run_agent(proxy, deployment)
        assert code == 4 and summary["batches_spooled"] == deployment["targets"], summary
        # The first batch reached the server and was stored; its answer was lost, so the agent took the
        # server for gone and spooled that batch and all the rest.
        assert len(stored(deployment["dsn"])) == 1
        code, summary = run_agent(base, deployment)
    assert code == 0, summary
    assert summary["spool_replayed"] == deployment["targets"] and summary["spool_pending"] == 0
    rows = stored(deployment["dsn"])
    assert len(rows) == 2 * deployment["targets"]  # two runs, each poll once
    assert all(r["copies"] == 1 for r in rows)
    assert_derived_once(deployment)


def test_server_killed_during_a_run_loses_nothing(deployment: dict[str, Any]) -> None:
    server, base = start_server(deployment["env"])
    try:
        agent = subprocess.Popen(
            [*AGENT, "run", "--server", base, "--token-file", str(deployment["token_file"]),
             "--spool", str(deployment["spool"]), "--timeout", "1", "--batch-size", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        # Kill the server as soon as the first batch is in: the rest of the run meets a dead server.
        while agent.poll() is None and _sql(deployment["dsn"], [(
                "SELECT count(*) AS n FROM probe_ingest_batch", ())])[0][0]["n"] == 0:
            time.sleep(0.005)
        server.send_signal(signal.SIGKILL)
        out, _ = agent.communicate(timeout=120)
    finally:
        server.kill()
        server.wait()  # killed already; this reaps it
    first = json.loads(out.strip().splitlines()[-1])
    with running_server(deployment["env"]) as base2:
        code, second = run_agent(base2, deployment)
    assert code == 0, second
    assert second["spool_replayed"] == first["batches_spooled"]
    rows = stored(deployment["dsn"])
    assert len(rows) == 2 * deployment["targets"], (first, second)
    assert all(r["copies"] == 1 for r in rows)
    assert_derived_once(deployment)
