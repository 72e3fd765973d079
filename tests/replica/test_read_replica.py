"""DATABASE_READ_URL against a real streaming replica: a primary and a `pg_basebackup -R` standby (the
PostgreSQL binaries the embedded server ships), started once for this module, with two `schoolit serve`
on them — one that tolerates an hour of lag, one only two seconds.

Read-only pages (county dashboard, CSV export, open data) answer from the replica while a probe posts
samples to the primary; a writer reads its own write while the replica's replay is paused and others
still see the replica's state; a replica too far behind and a stopped replica leave the pages to the
primary, with the lag and the choice on /metrics.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from schoolit.accounts.demo import demo_password
from schoolit.probes.simulators import stop_process
from schoolit.replica import WAL_COOKIE
from tests.support import register_probe, run_cli, start_server

SECRET = "replica-test-secret-key-of-at-least-32-characters"
COUNTY = "donnersbergkreis"
SCHOOL = "51600"
AUTHORITY = "schultraeger@donnersbergkreis.demo.schoolit.example"
SUPPORTER = "support@verbund.demo.schoolit.example"
DASHBOARD = f"/dashboards/counties/{COUNTY}"
EXPORT = f"/api/v1/dashboards/counties/{COUNTY}.csv"
OPEN_DATA = f"/api/v1/open-data/schools.csv?county={COUNTY}"
INVENTORY_EXPORT = "/api/v1/export/devices.csv"
TIME_REPORT = "/api/v1/tickets/reports/time.csv"
STRICT_LAG = 2
WAIT = 20.0  # seconds any one condition below may take on a loaded machine


def _pg(command: str, *args: str) -> None:
    """A PostgreSQL program of the embedded server's installation, as the user its clusters run as."""
    from pgserver._commands import POSTGRES_BIN_PATH

    user = "pgserver" if os.geteuid() == 0 else None  # pgserver's own choice when run as root
    subprocess.run([str(POSTGRES_BIN_PATH / command), *args], check=True, user=user, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class Pair:
    primary: str
    standby: str
    standby_dir: Path

    def sql(self, dsn: str, query: str, *args: object) -> object:
        async def run() -> object:
            conn = await asyncpg.connect(dsn)
            try:
                return await conn.fetchval(query, *args)
            finally:
                await conn.close()

        return asyncio.run(run())

    def stop_standby(self) -> None:
        _pg("pg_ctl", "-D", str(self.standby_dir), "-m", "fast", "-w", "stop")



@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """A primary (pgserver) and a streaming standby of it, each on its own Unix socket."""
    import pgserver

    directory = Path(tempfile.mkdtemp(prefix="schoolit-pg-"))
    primary = pgserver.get_server(directory / "primary", cleanup_mode="delete")
    standby = directory / "standby"
    try:
        standby.mkdir(mode=0o700)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("pgserver")
            os.chown(standby, owner.pw_uid, owner.pw_gid)
        _pg("pg_basebackup", "-D", str(standby), "-R", "-X", "stream", "-c", "fast",
            "-d", f"host={directory / 'primary'} user=postgres")
        for copied in (".s.PGSQL.5432.lock", "log", ".handle_pids.json"):  # the primary's files, not the cluster
            (standby / copied).unlink(missing_ok=True)
        _pg("pg_ctl", "-D", str(standby), "-w", "-l", str(standby / "log"), "-o", f"-h '' -k {standby}", "start")
        try:
            yield Pair(str(primary.get_uri()), f"postgresql://postgres@/postgres?host={standby}", standby)
        finally:
            if (standby / "postmaster.pid").exists():  # the last test stops it itself
                _pg("pg_ctl", "-D", str(standby), "-m", "immediate", "-w", "stop")
    finally:
        # Immediate: the clusters are thrown away, so no shutdown checkpoint (seconds of writing).
        _pg("pg_ctl", "-D", str(directory / "primary"), "-m", "immediate", "-w", "stop")
        primary.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Site:
    """The demo data on the pair, a probe of the demo school and two servers reading from the replica."""

    pair: Pair
    tolerant: str  # DATABASE_READ_MAX_LAG=3600
    strict: str  # DATABASE_READ_MAX_LAG=STRICT_LAG
    probe_token: str
    access_points: list[int]
    school_id: int


@pytest.fixture(scope="module")
def site(pair: Pair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    env = {"DATABASE_URL": pair.primary, "DATABASE_READ_URL": pair.standby, "SECRET_KEY": SECRET,
           "DATA_DIR": str(tmp_path_factory.mktemp("data")), "SCHEDULER": "off"}
    run_cli("migrate", env=env).check_returncode()

    def demo_and_probe() -> str:
        run_cli("seed", "--demo", env={**env, "SCHOOLIT_DEMO": "1"}).check_returncode()
        return register_probe(env, "--name", "replica-test", "--school", SCHOOL)

    # Mostly Python starting and importing: the servers start while the demo data is loaded.
    with ThreadPoolExecutor(3) as starting:
        token = starting.submit(demo_and_probe)
        servers = [starting.submit(start_server, {**env, "DATABASE_READ_MAX_LAG": lag})
                   for lag in ("3600", str(STRICT_LAG))]
        wait([token, *servers])
    try:
        (_, tolerant), (_, strict) = (server.result() for server in servers)
        school_id = int(str(pair.sql(pair.primary, "SELECT id FROM school WHERE school_number = $1", SCHOOL)))
        access_points = pair.sql(pair.primary, "SELECT array_agg(id) FROM access_point WHERE school_id = $1",
                                 school_id)
        assert isinstance(access_points, list) and access_points
        yield Site(pair, tolerant, strict, token.result(), access_points, school_id)
    finally:
        with ThreadPoolExecutor(2) as stopping:
            for server in servers:
                if server.exception() is None:
                    stopping.submit(stop_process, server.result()[0])


# --- helpers ---------------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT:.0f} s: {what}")
        time.sleep(0.1)


@contextmanager
def session(base: str, email: str) -> Iterator[httpx.Client]:
    """A browser-like session (the session cookie, the WAL cookie, the session's CSRF token)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        yield _logged_in(client, email)


def _logged_in(client: httpx.Client, email: str) -> httpx.Client:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post("/login", data={"email": email, "password": demo_password(SECRET, email),
                                         "_csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text[:300]
    session_token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/").text)
    assert session_token is not None
    client.headers["x-csrftoken"] = session_token.group(1)
    return client


def replay_position(site: Site) -> int:
    return int(str(site.pair.sql(site.pair.standby, "SELECT pg_last_wal_replay_lsn()")))  # an int in asyncpg


def replayed_own_writes(site: Site, client: httpx.Client) -> None:
    """Wait until the standby has replayed the client's last write (its login), so that its reads may go
    to the replica."""
    position = int(client.cookies[WAL_COOKIE])
    wait_until(lambda: replay_position(site) >= position, "the standby replays the client's last write")


def metric_lines(base: str) -> list[str]:
    answer = httpx.get(base + "/metrics", timeout=30)
    assert answer.status_code == 200
    return answer.text.splitlines()


def gauge(base: str, name: str) -> float | None:
    values = [float(line.split()[-1]) for line in metric_lines(base) if line.startswith(name + " ")]
    return values[0] if values else None


def reads(base: str) -> dict[tuple[str, str], float]:
    """schoolit_db_reads_total by (target, reason)."""
    found = {}
    for line in metric_lines(base):
        if line.startswith("schoolit_db_reads_total{"):
            labels = dict(re.findall(r'(\w+)="(\w+)"', line))
            found[(labels["target"], labels["reason"])] = float(line.split()[-1])
    return found


def more(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    return {key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key, 0.0)}


class Ingest:
    """A probe posting sample batches to the primary (through the tolerant server) until stopped."""

    def __init__(self, site: Site) -> None:
        self.site, self.batches, self.samples, self.error = site, 0, 0, ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        headers = {"authorization": f"Bearer {self.site.probe_token}"}
        with httpx.Client(base_url=self.site.tolerant, headers=headers, timeout=30) as http:
            while not self._stop.is_set():
                now = dt.datetime.now(dt.UTC)
                samples = [{"asset_kind": "access_point", "asset_id": ap, "polled_at": now.isoformat(),
                            "reachable": True, "response_ms": 2.5, "uptime_ticks": 100_000, "clients": 7,
                            "radio_up": True} for ap in self.site.access_points]
                answer = http.post("/api/v1/probe/samples", json={
                    "idempotency_key": str(uuid.uuid4()), "sent_at": now.isoformat(), "samples": samples})
                if answer.status_code != 200:
                    self.error = f"{answer.status_code}: {answer.text[:300]}"
                    return
                self.batches += 1
                self.samples += len(samples)
                time.sleep(0.05)  # a probe's pace, not a benchmark's: the pages are the subject here

    def __enter__(self) -> Ingest:
        self._thread.start()
        wait_until(lambda: self.batches > 0 or bool(self.error), "the first batch is stored")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self.error, self.error


def school_name(site: Site, client: httpx.Client) -> str:
    answer = client.get(f"/api/v1/schools/{site.school_id}")
    assert answer.status_code == 200
    return str(answer.json()["name"])


def rename(site: Site, client: httpx.Client, name: str) -> None:
    answer = client.patch(f"/api/v1/schools/{site.school_id}", json={"name": name})
    assert answer.status_code == 200, answer.text[:300]


# --- the tests -------------------------------------------------------------------------------------


def test_read_only_pages_answer_from_the_replica_while_the_primary_ingests(site: Site) -> None:
    with session(site.tolerant, AUTHORITY) as authority:
        replayed_own_writes(site, authority)
        with Ingest(site) as ingest:
            before = reads(site.tolerant)
            for _ in range(2):
                for path in (DASHBOARD, EXPORT, OPEN_DATA, INVENTORY_EXPORT, TIME_REPORT):
                    answer = authority.get(path)
                    assert answer.status_code == 200, (path, answer.text[:300])
            assert more(before, reads(site.tolerant)) == {("replica", "fresh"): 10.0}
            stored = ingest.samples
    assert stored > 0
    # What the primary stored meanwhile arrives on the replica.
    wait_until(lambda: int(str(site.pair.sql(site.pair.standby, "SELECT count(*) FROM probe_sample"))) >= stored,
               "the samples are replayed")
    assert gauge(site.tolerant, "schoolit_replica_up") == 1.0
    lag = gauge(site.tolerant, "schoolit_replica_lag_seconds")
    behind = gauge(site.tolerant, "schoolit_replica_lag_bytes")
    assert lag is not None and 0 <= lag <= STRICT_LAG
    assert behind is not None and behind >= 0


def test_a_writer_reads_its_own_write_while_others_read_the_lagging_replica(site: Site) -> None:
    with session(site.tolerant, SUPPORTER) as supporter, session(site.tolerant, AUTHORITY) as authority:
        replayed_own_writes(site, authority)
        old = school_name(site, supporter)
        new = old + " Nord"
        site.pair.sql(site.pair.standby, "SELECT pg_wal_replay_pause()")
        try:
            rename(site, supporter, new)
            before = reads(site.tolerant)
            assert html.escape(new) in supporter.get(DASHBOARD).text  # its own write, from the primary
            stale = authority.get(DASHBOARD).text  # the replica, an hour's lag allowed
            assert html.escape(old) in stale and html.escape(new) not in stale
            assert more(before, reads(site.tolerant)) == {("primary", "own_write"): 1.0, ("replica", "fresh"): 1.0}
            # A page not declared read-only reads the primary whatever the replica says.
            assert school_name(site, authority) == new
        finally:
            site.pair.sql(site.pair.standby, "SELECT pg_wal_replay_resume()")
        wait_until(lambda: html.escape(new) in authority.get(DASHBOARD).text, "the replica catches up")
        rename(site, supporter, old)


def test_a_replica_too_far_behind_leaves_the_pages_to_the_primary(site: Site) -> None:
    with session(site.strict, AUTHORITY) as strict, session(site.tolerant, AUTHORITY) as tolerant, \
            session(site.tolerant, SUPPORTER) as supporter:
        old = school_name(site, supporter)
        new = old + " Süd"
        with Ingest(site):  # WAL keeps coming while the replay stands still
            replayed_own_writes(site, strict)
            replayed_own_writes(site, tolerant)
            site.pair.sql(site.pair.standby, "SELECT pg_wal_replay_pause()")
            try:
                rename(site, supporter, new)
                # Each server samples on its own: both see the replay standing still.
                wait_until(lambda: all((gauge(base, "schoolit_replica_lag_seconds") or 0) > STRICT_LAG
                                       for base in (site.strict, site.tolerant)), "both servers see the lag")
                before = reads(site.strict)
                assert html.escape(new) in strict.get(DASHBOARD).text  # from the primary
                assert more(before, reads(site.strict)) == {("primary", "lag"): 1.0}
                assert html.escape(new) not in tolerant.get(DASHBOARD).text  # still the replica
            finally:
                site.pair.sql(site.pair.standby, "SELECT pg_wal_replay_resume()")
            wait_until(lambda: (gauge(site.strict, "schoolit_replica_lag_seconds") or 0) <= STRICT_LAG,
                       "the replica catches up")
        before = reads(site.strict)
        assert html.escape(new) in strict.get(DASHBOARD).text
        assert more(before, reads(site.strict)) == {("replica", "fresh"): 1.0}
        rename(site, supporter, old)


def test_a_stopped_replica_leaves_the_pages_to_the_primary_without_an_error(site: Site) -> None:
    with session(site.tolerant, AUTHORITY) as authority:
        replayed_own_writes(site, authority)
        assert authority.get(DASHBOARD).status_code == 200
        site.pair.stop_standby()
        for path in (DASHBOARD, EXPORT, OPEN_DATA):
            answer = authority.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
        wait_until(lambda: gauge(site.tolerant, "schoolit_replica_up") == 0.0, "/metrics shows the replica down")
        assert gauge(site.tolerant, "schoolit_replica_lag_seconds") is None
        before = reads(site.tolerant)
        assert authority.get(DASHBOARD).status_code == 200
        assert more(before, reads(site.tolerant)) == {("primary", "down"): 1.0}
