"""Real SNMP agents on loopback ports for tests, benchmarks and the demo: Net-SNMP and snmpsim.

`net_snmp_agent` runs one Net-SNMP `snmpd` without root, answering on many loopback ports at once
(each port looks like a device of its own), with a v2c community and SNMPv3 users;
`net_snmp_agent_on_free_ports` chooses the ports, and chooses again when one was taken meanwhile.
`snmp_simulator` runs snmpsim serving `.snmprec` recordings; the community is the file name.
Both stop their process when the `with` block ends, whatever happens inside it.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from pyasn1.codec.ber import encoder
from pysnmp.proto import api

from schoolit.probes.agent.profiles import SYS_UPTIME

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 user as Net-SNMP's `createUser` takes it; protocols spelled as Net-SNMP (and the
    inventory, `schoolit.snmp_protocols`) do. No priv key: authNoPriv; no auth key either: noAuthNoPriv."""

    name: str
    auth_key: str | None
    priv_key: str | None
    auth_protocol: str = "SHA"
    priv_protocol: str = "AES"

    @property
    def create_user(self) -> str:
        """The `createUser` and `rouser` lines of snmpd.conf (rouser demands the user's level)."""
        if not self.auth_key:
            return f"createUser {self.name}\nrouser {self.name} noauth"
        line = f'createUser {self.name} {self.auth_protocol} "{self.auth_key}"'
        if not self.priv_key:
            return f"{line}\nrouser {self.name} auth"
        return f'{line} {self.priv_protocol} "{self.priv_key}"\nrouser {self.name} priv'


@dataclass
class RunningAgent:
    """A started agent: where it answers and how to talk to it."""

    ports: list[int]
    community: str = "public"
    v3_users: list[V3User] = field(default_factory=list)
    pid: int = 0


def free_udp_ports(count: int) -> list[int]:
    """Loopback UDP ports that were free a moment ago (held together, so all distinct)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _ephemeral_ports() -> range:
    """The ports the kernel hands to sockets bound to port 0 (Linux's ip_local_port_range)."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    return range(low, high + 1)


def closed_udp_ports(count: int) -> list[int]:
    """Loopback UDP ports nobody listens on, for dead devices: free now, and outside the ephemeral
    range, so that no socket bound to port 0 later (the probe's own, another tool's) can be given
    one — it would hear the requests meant for the dead device, which would then time out instead of
    being refused."""
    ephemeral = _ephemeral_ports()
    below, above = range(max(1024, ephemeral.start - 16384), ephemeral.start), range(ephemeral.stop, 65536)
    pool = below if len(below) >= len(above) else above
    closed: list[int] = []
    for port in random.sample(pool, len(pool)):  # spreads parallel runs over the range
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                continue  # taken: someone listens there
        closed.append(port)
        if len(closed) == count:
            return closed
    raise RuntimeError(f"fewer than {count} free UDP ports outside the ephemeral range")


def answers(port: int, *, community: str = "public", timeout: float = 0.3) -> bool:
    """True when an SNMP v2c agent answers a GET of sysUpTime on the loopback port.

    Plain blocking UDP, so it works with or without a running event loop (fixtures, benchmarks).
    """
    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_varbinds(pdu, [(SYS_UPTIME, v2c.Null(""))])
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(encoder.encode(message), (LOOPBACK, port))
        try:
            sock.recv(65535)  # an agent stays silent for a wrong community: any answer will do
        except OSError:  # timeout, or ICMP port unreachable
            return False
    return True


def _wait_until_answering(process: subprocess.Popen[bytes], port: int, community: str, log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"SNMP agent exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}"
            )
        if answers(port, community=community):
            return
    raise RuntimeError(f"SNMP agent did not answer on port {port} within {limit} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s; always reaped."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def net_snmp_agent(
    workdir: Path,
    ports: Sequence[int],
    *,
    community: str = "public",
    v3_users: Sequence[V3User] = (),
    engine_id: str | None = None,
    ready_port: int | None = None,
) -> Iterator[RunningAgent]:
    """Run Net-SNMP `snmpd` in `workdir`, answering on every given loopback port."""
    workdir.mkdir(parents=True, exist_ok=True)
    lines = []
    if engine_id:
        lines.append(f"engineID {engine_id}")  # before createUser: keys are localised to it
    lines += [
        "agentaddress " + ",".join(f"udp:{LOOPBACK}:{port}" for port in ports),
        f"rocommunity {community} {LOOPBACK}",
        "dontLogTCPWrappersConnects yes",
    ]
    for user in v3_users:
        lines.append(user.create_user)
    (workdir / "snmpd.conf").write_text("\n".join(lines) + "\n")
    persistent = workdir / "persistent"
    persistent.mkdir(exist_ok=True)
    # Own persistent directory: snmpd must neither read nor write /var/lib/snmp; no MIBs needed.
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(persistent), "MIBS": "", "MIBDIRS": str(workdir)}
    log = workdir / "snmpd.log"
    snmpd = shutil.which("snmpd") or shutil.which("snmpd", path="/usr/sbin:/sbin")
    if snmpd is None:
        raise RuntimeError("Net-SNMP snmpd is not installed (Debian package snmpd)")
    process = subprocess.Popen(  # noqa: S603 -- fixed argument list, our own config file
        [snmpd, "-f", "-C", "-c", "./snmpd.conf", "-p", "./snmpd.pid", "-Lf", "./snmpd.log"],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_answering(process, ready_port or ports[0], community, log, limit=20)
        yield RunningAgent(ports=list(ports), community=community, v3_users=list(v3_users), pid=process.pid)
    finally:
        stop_process(process)


# A port chosen free can be taken by another process before snmpd binds it (a shared machine's other
# UDP clients get ports from the same range), so a start that fails is tried on other ports.
START_ATTEMPTS = 3


@contextmanager
def net_snmp_agent_on_free_ports(
    workdir: Path,
    count: int,
    *,
    community: str = "public",
    v3_users: Sequence[V3User] = (),
    engine_id: str | None = None,
) -> Iterator[RunningAgent]:
    """`net_snmp_agent` on `count` loopback ports that are free, in `workdir/attempt-N`."""
    for attempt in range(1, START_ATTEMPTS + 1):
        with ExitStack() as stack:
            agent = net_snmp_agent(
                workdir / f"attempt-{attempt}",
                free_udp_ports(count),
                community=community,
                v3_users=v3_users,
                engine_id=engine_id,
            )
            try:
                running = stack.enter_context(agent)
            except RuntimeError:
                if attempt == START_ATTEMPTS:
                    raise
                continue
            yield running
            return


@contextmanager
def snmp_simulator(recordings: Path, port: int, *, ready_community: str) -> Iterator[RunningAgent]:
    """Run snmpsim serving the `.snmprec` files of `recordings` on one loopback port.

    snmpsim refuses to run as root without dropping privileges, so it runs as nobody/nogroup then;
    the recordings are copied to a world-readable directory for that.
    """
    data = Path(tempfile.mkdtemp(prefix="schoolit-snmpsim-"))
    try:
        data.chmod(0o755)
        served = data / "data"
        served.mkdir(mode=0o755)
        for recording in recordings.glob("*.snmprec"):
            shutil.copy(recording, served / recording.name)
            (served / recording.name).chmod(0o644)
        cache = data / "cache"
        cache.mkdir(mode=0o777)
        cache.chmod(0o777)  # the dropped-privilege process writes its indices here
        log = data / "snmpsim.log"
        command = [
            sys.executable,
            "-c",
            # Imported before snmpsim drops to nobody: the interpreter's own files may not be readable
            # by nobody (a Python under /root), and snmpsim imports dbm lazily while indexing.
            "import sys, dbm, dbm.dumb, encodings.latin_1, encodings.ascii;"
            "from snmpsim.commands.responder import main; sys.exit(main())",
            f"--data-dir={served}",
            f"--cache-dir={cache}",
            f"--agent-udpv4-endpoint={LOOPBACK}:{port}",
            "--log-level=error",
        ]
        if os.geteuid() == 0:
            command += ["--process-user=nobody", "--process-group=nogroup"]
        with open(log, "wb") as log_file:
            process = subprocess.Popen(  # noqa: S603 -- fixed argument list
                command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
            )
        try:
            _wait_until_answering(process, port, ready_community, log, limit=60)
            yield RunningAgent(ports=[port], community=ready_community, pid=process.pid)
        finally:
            stop_process(process)
    finally:
        with suppress(OSError):
            shutil.rmtree(data)
