"""`schoolit-probe run/check/sweep` against real agents and a small real HTTP server on loopback.

The server (http.server in a thread) plays the two probe endpoints and can be told to answer
200/304/401/503, so spooling, replay, the ETag cache and the exit codes are tested end to end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgspec
import pytest

from schoolit.probes.agent import cli as agent
from schoolit.probes.agent import spool
from schoolit.probes.agent.wire import IngestOut, ProbeTarget, RefusedSample, SampleBatch, TargetList
from schoolit.probes.simulators import LOOPBACK, RunningAgent, V3User
from tests.support import free_port

from .conftest import V3_USER, V3_VARIANTS, v2c, v3

TOKEN = "probe-token-donnersbergkreis"


@dataclass
class FakeServer:
    """What the test server answers, and what it was sent."""

    targets: TargetList
    etag: str = '"v1"'
    targets_status: int = 200
    samples_status: int = 200
    stored: list[SampleBatch] = field(default_factory=list)
    refuse_assets: set[int] = field(default_factory=set)  # samples of these are refused, the rest stored
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    url: str = ""


def make_handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _authorised(self) -> bool:
            return self.headers.get("Authorization") == f"Bearer {TOKEN}"

        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, dict(self.headers.items())))
            if self.path != agent.TARGETS_PATH:
                return self._answer(404)
            if state.targets_status != 200 or not self._authorised():
                return self._answer(state.targets_status if state.targets_status != 200 else 401)
            if self.headers.get("If-None-Match") == state.etag:
                return self._answer(304, headers={"ETag": state.etag})
            body = msgspec.json.encode(msgspec.structs.replace(state.targets, etag=state.etag))
            self._answer(200, body, {"ETag": state.etag, "Content-Type": "application/json"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(("POST", self.path, dict(self.headers.items())))
            if state.samples_status != 200 or not self._authorised():
                return self._answer(state.samples_status if state.samples_status != 200 else 401)
            batch = msgspec.json.decode(body, type=SampleBatch)
            assert self.headers.get("Idempotency-Key") == str(batch.idempotency_key)
            samples = batch.as_samples()
            refused = [RefusedSample(n, s.asset_kind, s.asset_id, f"unknown {s.asset_kind} {s.asset_id}")
                       for n, s in enumerate(samples) if s.asset_id in state.refuse_assets]
            kept = [s for s in samples if s.asset_id not in state.refuse_assets]
            if all(stored.idempotency_key != batch.idempotency_key for stored in state.stored):
                state.stored.append(msgspec.structs.replace(batch, samples=kept, columns=None))
            answer = IngestOut(stored=len(kept), duplicate=False, refused=refused)
            self._answer(200, msgspec.json.encode(answer), {"Content-Type": "application/json"})

    return Handler


def targets_on(snmpd: RunningAgent, count: int = 3) -> TargetList:
    """`count` v2c uplinks and one v3 access point, each on a port of its own."""
    targets = [
        v2c(port, asset_kind="uplink", asset_id=100 + n, if_index=1) for n, port in enumerate(snmpd.ports[:count])
    ]
    targets.append(v3(snmpd.ports[count], V3_USER, asset_id=200))
    return TargetList(targets=targets)


@pytest.fixture
def server(snmpd: RunningAgent) -> Iterator[FakeServer]:
    state = FakeServer(targets=targets_on(snmpd))
    http = ThreadingHTTPServer((LOOPBACK, 0), make_handler(state))
    state.url = f"http://{LOOPBACK}:{http.server_address[1]}"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        http.shutdown()
        http.server_close()
        thread.join()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


def run_probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = agent.main(list(args))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines  # exactly one JSON summary line
    return code, json.loads(lines[0])


def run_args(server: FakeServer, token_file: Path, spool_dir: Path, *extra: str) -> list[str]:
    return ["run", "--server", server.url, "--token-file", str(token_file), "--spool", str(spool_dir),
            "--timeout", "0.5", *extra]  # fmt: skip


def stored_keys(server: FakeServer) -> list[str]:
    return [str(batch.idempotency_key) for batch in server.stored]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_run_posts_all_samples_and_caches_the_targets(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    extra = ("--batch-size", "3", "--workers", workers)
    code, summary = run_probe(capsys, *run_args(server, token_file, tmp_path / "spool", *extra))
    assert code == agent.EXIT_OK, summary
    assert summary["targets"] == 4 and summary["reachable"] == 4 and summary["failed"] == 0
    assert summary["targets_from"] == "server" and summary["batches_sent"] == 2
    # The run's report rides with its last batch.
    assert server.stored[0].run is None and server.stored[1].run is not None
    assert (server.stored[1].run.targets, server.stored[1].run.reachable, server.stored[1].run.failed) == (4, 4, 0)
    samples = [sample for batch in server.stored for sample in batch.samples]
    assert sorted(s.asset_id for s in samples) == [100, 101, 102, 200]
    assert all(s.reachable and s.uptime_ticks for s in samples)
    assert len(set(stored_keys(server))) == 2
    cached = msgspec.json.decode((tmp_path / "spool" / spool.TARGETS_FILE).read_bytes(), type=TargetList)
    assert cached.etag == server.etag and cached.targets == server.targets.targets
    assert (tmp_path / "spool" / spool.TARGETS_FILE).stat().st_mode & 0o077 == 0  # it holds secrets


def test_second_run_sends_the_etag_and_uses_the_cache_on_304(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = run_args(server, token_file, tmp_path / "spool")
    assert run_probe(capsys, *args)[0] == agent.EXIT_OK
    code, summary = run_probe(capsys, *args)
    assert code == agent.EXIT_OK
    assert summary["targets_from"] == "cache-current" and summary["targets"] == 4
    gets = [headers for method, _, headers in server.requests if method == "GET"]
    assert "If-None-Match" not in gets[0] and gets[1]["If-None-Match"] == server.etag


def test_503_spools_atomically_and_the_next_run_replays_oldest_first(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool_dir = tmp_path / "spool"
    server.samples_status = 503
    code, summary = run_probe(capsys, *run_args(server, token_file, spool_dir, "--batch-size", "2"))
    assert code == agent.EXIT_SPOOLED
    assert summary["batches_spooled"] == 2 and summary["spool_pending"] == 2 and not server.stored
    spooled = sorted(spool_dir.glob("*-*.json"))
    assert len(spooled) == 2
    assert not list(spool_dir.glob(".*.tmp"))  # no temporary file left behind
    spooled_keys = [str(msgspec.json.decode(p.read_bytes(), type=SampleBatch).idempotency_key) for p in spooled]
    assert spooled_keys == [spool.Spool.key_of(p) for p in spooled]

    server.samples_status = 200
    code, summary = run_probe(capsys, *run_args(server, token_file, spool_dir, "--batch-size", "2"))
    assert code == agent.EXIT_OK, summary
    assert summary["spool_replayed"] == 2 and summary["batches_sent"] == 2 and summary["spool_pending"] == 0
    keys = stored_keys(server)
    assert keys[:2] == spooled_keys  # the spooled batches first, oldest first
    assert len(keys) == 4 and len(set(keys)) == 4  # every key exactly once
    posted = [headers["Idempotency-Key"] for method, _, headers in server.requests if method == "POST"]
    assert sorted(posted[-4:]) == sorted(keys)  # and each was posted once in the replay run
    assert not list(spool_dir.glob("*-*.json"))


def test_rejected_token_exits_2(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file.write_text("someone-elses-token")
    code, summary = run_probe(capsys, *run_args(server, token_file, tmp_path / "spool"))
    assert code == agent.EXIT_CONFIG
    assert "401" in summary["error"]
    server.targets_status = 403
    assert run_probe(capsys, *run_args(server, token_file, tmp_path / "spool"))[0] == agent.EXIT_CONFIG


def test_unreadable_token_file_exits_2(server: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, summary = run_probe(capsys, *run_args(server, tmp_path / "missing-token", tmp_path / "spool"))
    assert code == agent.EXIT_CONFIG and "token file" in summary["error"]
    assert not server.requests


def test_unreachable_server_polls_the_cached_targets_and_spools(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool_dir = tmp_path / "spool"
    assert run_probe(capsys, *run_args(server, token_file, spool_dir))[0] == agent.EXIT_OK
    closed_port = free_port()  # a TCP port nobody listens on
    args = run_args(server, token_file, spool_dir)
    args[args.index("--server") + 1] = f"http://{LOOPBACK}:{closed_port}"
    code, summary = run_probe(capsys, *args)
    assert code == agent.EXIT_SPOOLED
    assert summary["targets_from"] == "cache" and summary["reachable"] == 4
    assert summary["batches_spooled"] == 1 and summary["spool_pending"] == 1


def test_unreachable_server_without_cache_exits_4(
    token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed_port = free_port()
    args = ["run", "--server", f"http://{LOOPBACK}:{closed_port}", "--token-file", str(token_file),
            "--spool", str(tmp_path / "spool")]  # fmt: skip
    code, summary = run_probe(capsys, *args)
    assert code == agent.EXIT_SPOOLED
    assert summary["targets_from"] == "none" and summary["targets"] == 0


def test_some_dead_targets_exit_1_but_their_samples_are_sent(
    server: FakeServer, token_file: Path, tmp_path: Path, dead_ports: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    dead = ProbeTarget(asset_kind="access_point", asset_id=999, host=LOOPBACK, port=dead_ports[0], community="x")
    server.targets = TargetList(targets=[*server.targets.targets, dead])
    code, summary = run_probe(capsys, *run_args(server, token_file, tmp_path / "spool"))
    assert code == agent.EXIT_TARGETS_FAILED
    assert summary["failed"] == 1 and summary["batches_sent"] == 1
    (unreachable,) = [s for b in server.stored for s in b.samples if not s.reachable]
    assert unreachable.asset_id == 999 and unreachable.error
    # Its SNMP port is closed, but the host answers a ping: not down, only its SNMP agent is off.
    assert unreachable.icmp_reachable is True and summary["pinged"] == 1 and summary["ping_answered"] == 1


def test_a_device_that_answers_neither_snmp_nor_ping_is_down(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # TEST-NET-3 (RFC 5737): never assigned, nothing there answers SNMP or ICMP.
    gone = ProbeTarget(asset_kind="uplink", asset_id=997, host="203.0.113.9", port=161, community="x", if_index=1)
    server.targets = TargetList(targets=[*server.targets.targets, gone])
    code, summary = run_probe(capsys, *run_args(server, token_file, tmp_path / "spool", "--retries", "0"))
    assert code == agent.EXIT_TARGETS_FAILED
    (down,) = [s for b in server.stored for s in b.samples if not s.reachable]
    assert down.asset_id == 997 and down.icmp_reachable is False
    assert summary["pinged"] == 1 and summary["ping_answered"] == 0
    assert summary["duration_s"] < 5  # the ping costs its one-second budget at most, for all devices at once
    code, summary = run_probe(capsys, *run_args(server, token_file, tmp_path / "spool", "--retries", "0",
                                                "--no-ping"))  # fmt: skip
    assert "pinged" not in summary
    assert server.stored[-1].samples[-1].icmp_reachable is None


def test_batch_the_server_refuses_goes_aside_instead_of_blocking(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool_dir = tmp_path / "spool"
    server.samples_status = 503
    run_probe(capsys, *run_args(server, token_file, spool_dir))
    server.samples_status = 422
    code, summary = run_probe(capsys, *run_args(server, token_file, spool_dir))
    assert code == agent.EXIT_REFUSED
    assert summary["spool_rejected"] == 1 and summary["batches_rejected"] == 1
    assert len(list((spool_dir / spool.REJECTED_DIR).glob("*.json"))) == 2  # the spooled one and this run's
    assert not list(spool_dir.glob("*-*.json"))


def test_samples_the_server_refuses_are_kept_aside_and_the_rest_stored(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool_dir = tmp_path / "spool"
    server.refuse_assets = {101}  # deleted from the inventory after the targets were fetched
    code, summary = run_probe(capsys, *run_args(server, token_file, spool_dir, "--batch-size", "2"))
    assert code == agent.EXIT_REFUSED, summary
    assert summary["samples_refused"] == 1 and summary["batches_sent"] == 2 and summary["spool_pending"] == 0
    assert sorted(s.asset_id for b in server.stored for s in b.samples) == [100, 102, 200]
    assert server.stored[-1].run is not None and server.stored[-1].run.samples_refused == 1  # the first batch's
    (kept,) = (spool_dir / spool.REJECTED_DIR).glob("*.refused.json")
    refused = json.loads(kept.read_bytes())["refused"]
    assert [(r["sample"]["asset_id"], r["reason"]) for r in refused] == [(101, "unknown uplink 101")]


def test_a_second_run_exits_3_while_the_first_holds_the_lock(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool_dir = tmp_path / "spool"
    with spool.Spool(spool_dir).locked():  # a run still going (its own open file, its own flock)
        code, summary = run_probe(capsys, *run_args(server, token_file, spool_dir))
        assert code == agent.EXIT_LOCKED == 3
        assert f"pid {os.getpid()}" in summary["error"] and not server.requests
    assert run_probe(capsys, *run_args(server, token_file, spool_dir))[0] == agent.EXIT_OK


def test_two_overlapping_processes_one_polls(server: FakeServer, token_file: Path, tmp_path: Path) -> None:
    # A silent device keeps the first run polling for its timeout while the second one starts.
    (silent,) = free_udp_ports_bound(1)
    try:
        slow = ProbeTarget(asset_kind="access_point", asset_id=998, host=LOOPBACK, port=silent[1], community="x")
        server.targets = TargetList(targets=[*server.targets.targets, slow])
        command = [sys.executable, "-m", "schoolit.probes.agent",
                   *run_args(server, token_file, tmp_path / "spool", "--timeout", "3", "--retries", "0")]
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not any(method == "GET" for method, _, _ in server.requests):  # the first run is under way
            assert first.poll() is None
        second = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        out, _ = first.communicate(timeout=60)
    finally:
        silent[0].close()
    assert second.returncode == agent.EXIT_LOCKED, second.stderr
    assert "another run" in second.stderr
    assert first.returncode == agent.EXIT_TARGETS_FAILED, out
    assert len([m for m, _, _ in server.requests if m == "GET"]) == 1


def test_damaged_spool_entries_are_set_aside_and_the_run_goes_on(
    server: FakeServer, token_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool_dir = tmp_path / "spool"
    server.samples_status = 503
    run_probe(capsys, *run_args(server, token_file, spool_dir))  # one good batch waits in the spool
    server.samples_status = 200
    (spool_dir / "00000000000000000001-4b1c5f0e-0000-4000-8000-000000000001.json").mkdir()
    (spool_dir / "00000000000000000002-4b1c5f0e-0000-4000-8000-000000000002.json").write_text('{"half a batch')
    (spool_dir / "00000000000000000003-not-a-key.json").write_bytes(b"{}")
    code, summary = run_probe(capsys, *run_args(server, token_file, spool_dir))
    assert code == agent.EXIT_SPOOL_DAMAGED == 6, summary
    assert summary["spool_damaged"] == 3 and summary["spool_replayed"] == 1 and summary["spool_pending"] == 0
    assert summary["reachable"] == 4 and summary["batches_sent"] == 1  # polled and sent as ever
    assert sorted(p.name[:20] for p in (spool_dir / spool.DAMAGED_DIR).iterdir()) == [
        "00000000000000000001", "00000000000000000002", "00000000000000000003"]
    assert run_probe(capsys, *run_args(server, token_file, spool_dir))[0] == agent.EXIT_OK  # set aside for good


def test_a_spool_file_the_probe_may_not_read_is_set_aside(
    server: FakeServer, token_file: Path, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir(mode=0o700)
    left = spool_dir / "00000000000000000001-4b1c5f0e-0000-4000-8000-000000000001.json"
    left.write_bytes(b"{}")
    left.chmod(0o000)  # left by a run as root with a strict umask
    # The agent runs without the root's power to read anything (as a probe's own user would be).
    command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-m",
               "schoolit.probes.agent", *run_args(server, token_file, spool_dir)]
    if os.geteuid() != 0:
        command = command[3:]  # an ordinary user cannot read a mode-000 file anyway
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == agent.EXIT_SPOOL_DAMAGED, result.stderr
    assert "set aside as damaged" in result.stderr and "Permission denied" in result.stderr
    assert json.loads(result.stdout)["reachable"] == 4
    assert (spool_dir / spool.DAMAGED_DIR / left.name).exists()


def test_atomic_write_keeps_the_old_content_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "targets.json"
    spool.write_atomic(path, b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(spool.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        spool.write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["targets.json"]


def free_udp_ports_bound(count: int) -> list[tuple[socket.socket, int]]:
    """Loopback UDP sockets held open and never read: devices that stay silent (no ICMP refusal)."""
    bound = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((LOOPBACK, 0))
        bound.append((sock, int(sock.getsockname()[1])))
    return bound


def probe_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schoolit.probes.agent", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


@pytest.mark.parametrize("command", [[], ["run"], ["check"], ["sweep"]])
def test_help_everywhere(command: list[str]) -> None:
    result = probe_command(*command, "--help")
    assert result.returncode == 0
    assert "usage: schoolit-probe" in result.stdout


def test_check_shows_what_the_device_answered(snmpd: RunningAgent, dead_ports: list[int]) -> None:
    result = probe_command("check", "--target", f"{LOOPBACK}:{snmpd.ports[0]}", "--community", "public",
                           "--if-index", "1", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["sys_name"] and shown["sample"]["reachable"] and shown["sample"]["oper_status"] == 1
    assert "public" not in result.stdout  # the community is not echoed

    v3 = probe_command("check", "--target", f"{LOOPBACK}:{snmpd.ports[1]}", "--v3-user", V3_USER.name,
                       "--auth-proto", "SHA", "--auth-key", V3_USER.auth_key, "--priv-proto", "AES",
                       "--priv-key", V3_USER.priv_key)  # fmt: skip
    assert v3.returncode == 0, v3.stderr
    assert "uptime_ticks" in v3.stdout

    dead = probe_command("check", "--target", f"{LOOPBACK}:{dead_ports[0]}", "--community", "public",
                         "--timeout", "0.2", "--retries", "0")  # fmt: skip
    assert dead.returncode == 1

    incomplete = probe_command("check", "--target", f"{LOOPBACK}:{snmpd.ports[1]}", "--v3-user", "probe",
                               "--priv-key", V3_USER.priv_key)  # fmt: skip
    assert incomplete.returncode == 2 and "authPriv" in incomplete.stderr


@pytest.mark.parametrize("user", [u for u in V3_VARIANTS if u.name in ("priv-AES-256", "priv-AES-192-C", "auth-SHA-384",
                                                                     "noauth")], ids=lambda user: user.name)
def test_check_speaks_every_security_level_and_protocol(snmpd: RunningAgent, user: V3User) -> None:
    keys = []
    if user.auth_key:
        keys += ["--auth-proto", user.auth_protocol, "--auth-key", user.auth_key]
    if user.priv_key:
        keys += ["--priv-proto", user.priv_protocol, "--priv-key", user.priv_key]
    result = probe_command("check", "--target", f"{LOOPBACK}:{snmpd.ports[6]}", "--v3-user", user.name, *keys,
                           "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sample"]["reachable"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_sweep_polls_a_local_targets_file(snmpd: RunningAgent, tmp_path: Path, workers: str) -> None:
    targets = targets_on(snmpd, count=5)
    targets_file = tmp_path / "targets.json"
    targets_file.write_bytes(msgspec.json.encode(targets))
    samples_file = tmp_path / "samples.jsonl"
    result = probe_command(
        "sweep", "--targets-file", str(targets_file), "--samples-out", str(samples_file), "--workers", workers
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["targets"] == 6 and summary["reachable"] == 6
    samples = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert [sample["asset_id"] for sample in samples] == [target.asset_id for target in targets.targets]


def test_negative_worker_count_is_a_configuration_error(tmp_path: Path) -> None:
    result = probe_command("sweep", "--targets-file", str(tmp_path / "none.json"), "--workers", "-1")
    assert result.returncode == 2 and "--workers" in result.stderr
