"""The demo comes alive: simulated access points and routers, and a probe polling them.

`schoolit demo` calls `prepare()` after seeding: every active access point and live uplink of the
demo county (Donnersbergkreis) gets an SNMP recording of its own (community = recording name) in the
shape its vendor profile reads — client counts and radio status in the vendor's table, sysUpTime and
the uplink's Counter64 octets moving with snmpsim's `numeric` variation — and is pointed at one
snmpsim process on 127.0.0.1. A few point at a closed port instead, so outages and outage tickets
show up. As in a real installation, the probe reaches a school's devices in the school's management
network: for the simulated county that network is the loopback network the simulator answers in
(127.0.0.0/8), so the demo's data passes the same rules (an access point's address inside its
school's management network) as any imported or edited data. A demo probe is registered for the
county; `probe_loop()` runs the real `schoolit-probe run` against the demo server every minute.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from schoolit.accounts import probes as accounts_probes
from schoolit.accounts import services as accounts
from schoolit.accounts.scope import Scope
from schoolit.inventory.secrets import encrypt
from schoolit.logs import get_logger
from schoolit.probes.agent.profiles import (
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_OPER_STATUS,
    IF_TYPE,
    PROFILES,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UPTIME,
)
from schoolit.probes.targets import VENDOR_PROFILES, mac_arcs
from schoolit.sql import fetch

log = get_logger("schoolit.demo")
DEMO_COUNTY = "donnersbergkreis"
DEAD_EVERY = 17  # about one asset in seventeen does not answer
PROBE_NAME = "Demo-Sonde Donnersbergkreis"
POLL_EVERY_S = 60
SIMULATED_NETWORK = "127.0.0.0/8"  # the management network of the simulated county's schools

_OBJECT_IDS = {"aruba-instant": "1.3.6.1.4.1.14823.1.2.118", "cisco-aireos": "1.3.6.1.4.1.9.1.2170",
               "unifi": "1.3.6.1.4.1.41112", "lancom": "1.3.6.1.4.1.2356.11",
               "aerohive": "1.3.6.1.4.1.26928", "zyxel": "1.3.6.1.4.1.890", "generic": "1.3.6.1.4.1.8072.3.2.10"}
_VALUE_FOR_UP = {"aruba-instant": 1, "cisco-aireos": 2, "unifi": 1}


@dataclass(frozen=True)
class DemoNetwork:
    recordings: Path
    assets: int
    dead: int
    token_file: Path


def _system(rng: random.Random, name: str, profile: str) -> list[str]:
    return [f"{SYS_OBJECT_ID}|6|{_OBJECT_IDS[profile]}",
            f"{SYS_UPTIME}|67:numeric|rate=100,initial={rng.randrange(10**5, 10**9)}",
            f"{SYS_NAME}|4|{name}"]


def access_point_recording(rng: random.Random, name: str, profile_name: str, mac: str | None) -> str:
    """An access point as its vendor profile reads it (rows for two radios)."""
    lines = _system(rng, name, profile_name)
    profile = PROFILES[profile_name]
    if profile_name in ("aruba-instant", "cisco-aireos"):
        index = mac_arcs(mac or "00:00:00:00:00:01")
        for radio in (0, 1):
            assert profile.clients is not None and profile.radio is not None
            lines.append(f"{profile.radio.column}.{index}.{radio}|2|{_VALUE_FOR_UP[profile_name]}")
            lines.append(f"{profile.clients.column}.{index}.{radio}|66|{rng.randrange(0, 30)}")
    elif profile_name == "unifi":
        for vap in (1, 2):
            assert profile.clients is not None and profile.radio is not None
            lines.append(f"{profile.clients.column}.{vap}|66|{rng.randrange(0, 30)}")
            lines.append(f"{profile.radio.column}.{vap}|2|1")
    elif profile_name == "zyxel":
        for radio in (1, 2):
            assert profile.clients is not None and profile.radio is not None
            lines.append(f"{profile.radio.column}.{radio}|2|{(6, 36)[radio - 1]}")
            lines.append(f"{profile.clients.column}.{radio}|66|{rng.randrange(0, 30)}")
    elif profile_name == "lancom":
        assert profile.clients is not None
        for station in range(1, rng.randrange(2, 30)):
            lines.append(f"{profile.clients.column}.{station}|2|3")
    else:
        lines += [f"{IF_TYPE}.1|2|6", f"{IF_TYPE}.2|2|71", f"{IF_OPER_STATUS}.1|2|1", f"{IF_OPER_STATUS}.2|2|1"]
        if profile_name == "aerohive":  # one ahAssociationTable row per client: ifIndex + client MAC
            assert profile.clients is not None
            for station in range(1, rng.randrange(2, 30)):
                lines.append(f"{profile.clients.column}.2.0.25.119.0.0.{station}|2|36")
    return "\n".join(sorted(lines, key=_oid_key)) + "\n"


def uplink_recording(rng: random.Random, name: str, if_index: int, down_mbps: int, up_mbps: int) -> str:
    """A router whose uplink interface moves traffic at 5–60 % of the contracted rate."""
    down_bytes = int(down_mbps * 1e6 / 8 * rng.uniform(0.05, 0.6))
    up_bytes = int(up_mbps * 1e6 / 8 * rng.uniform(0.02, 0.3))
    lines = [
        *_system(rng, name, "generic"),
        f"{IF_HC_IN_OCTETS}.{if_index}|70:numeric|rate={down_bytes},initial={rng.randrange(10**12)}",
        f"{IF_HC_OUT_OCTETS}.{if_index}|70:numeric|rate={up_bytes},initial={rng.randrange(10**12)}",
        f"{IF_HIGH_SPEED}.{if_index}|66|{max(down_mbps, up_mbps)}",
        f"{IF_OPER_STATUS}.{if_index}|2|1",
    ]
    return "\n".join(sorted(lines, key=_oid_key)) + "\n"


def _oid_key(line: str) -> tuple[int, ...]:
    return tuple(int(arc) for arc in line.split("|", 1)[0].split("."))


async def _profile(county_id: int, name: str, community: str) -> int:
    rows = await fetch(
        "INSERT INTO snmp_profile (county_id, name, version, community_encrypted, v3_user, auth_protocol, "
        "priv_protocol, created_at, updated_at) VALUES ({}, {}, '2c', {}, '', '', '', now(), now()) "
        "ON CONFLICT (county_id, lower(name)) DO UPDATE SET community_encrypted = EXCLUDED.community_encrypted "
        "RETURNING id", county_id, name, encrypt(community))
    return int(rows[0]["id"])


async def prepare(directory: Path, snmp_port: int, dead_port: int) -> DemoNetwork:
    """Write the recordings into `directory` and point the demo county's assets at the simulator."""
    rng = random.Random(2026)  # noqa: S311 (demo data, not secrets)
    county_id = await accounts.county_id_by_slug(DEMO_COUNTY)
    recordings = directory / "recordings"
    recordings.mkdir(parents=True, exist_ok=True)
    assets = dead = 0
    await fetch("UPDATE school SET management_prefix = {}::cidr WHERE county_id = {}", SIMULATED_NETWORK, county_id)
    # Access points that are not polled (faulty, retired) keep their host part, moved into that network.
    await fetch("UPDATE access_point SET management_ip = {}::inet + (management_ip - network(set_masklen("
                "management_ip, 8))) WHERE county_id = {} AND NOT (management_ip <<= {}::cidr)",
                SIMULATED_NETWORK.split("/")[0], county_id, SIMULATED_NETWORK)
    for ap in await fetch("SELECT id, name, vendor, mac::text AS mac FROM access_point "
                          "WHERE county_id = {} AND status = 'active' ORDER BY id", county_id):
        community = f"demo-ap-{ap['id']}"
        profile = VENDOR_PROFILES.get(ap["vendor"], "generic")
        (recordings / f"{community}.snmprec").write_text(
            access_point_recording(rng, ap["name"] or community, profile, ap["mac"]))
        port = dead_port if ap["id"] % DEAD_EVERY == 0 else snmp_port
        dead += port == dead_port
        await fetch("UPDATE access_point SET management_ip = '127.0.0.1', snmp_port = {}, snmp_profile_id = {} "
                    "WHERE id = {}", port, await _profile(county_id, f"Demo {community}", community), ap["id"])
        assets += 1
    for uplink in await fetch("SELECT id, provider, down_mbps, up_mbps FROM uplink "
                              "WHERE county_id = {} AND status = 'live' ORDER BY id", county_id):
        community = f"demo-uplink-{uplink['id']}"
        (recordings / f"{community}.snmprec").write_text(
            uplink_recording(rng, f"router-{uplink['id']}", 1, uplink["down_mbps"], uplink["up_mbps"]))
        await fetch("UPDATE uplink SET router_ip = '127.0.0.1', router_if_index = 1, snmp_port = {}, "
                    "snmp_profile_id = {} WHERE id = {}",
                    snmp_port, await _profile(county_id, f"Demo {community}", community), uplink["id"])
        assets += 1
    token_file = directory / "probe-token"
    existing = await fetch("SELECT id FROM probe WHERE name = {} AND county_id = {}", PROBE_NAME, county_id)
    if not existing or not token_file.exists():
        token, _probe = await accounts_probes.register_probe(Scope.system("demo"), name=PROBE_NAME, county_id=county_id)
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
    return DemoNetwork(recordings=recordings, assets=assets, dead=dead, token_file=token_file)


def probe_loop(server: str, network: DemoNetwork, spool: Path, stop: threading.Event) -> threading.Thread:
    """Run `schoolit-probe run` against the demo server now and then every minute, until `stop`."""

    def loop() -> None:
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if httpx.get(server + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            stop.wait(0.5)
        while not stop.is_set():
            result = subprocess.run(  # noqa: S603 (fixed argument list)
                [sys.executable, "-m", "schoolit.probes.agent", "run", "--server", server, "--token-file",
                 str(network.token_file), "--spool", str(spool), "--timeout", "1"],
                capture_output=True, text=True, check=False)
            log.info("demo probe run", exit_code=result.returncode,
                     summary=(result.stdout.strip().splitlines() or [""])[-1])
            stop.wait(POLL_EVERY_S)

    thread = threading.Thread(target=loop, name="demo-probe", daemon=True)
    thread.start()
    return thread
