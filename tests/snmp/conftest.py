"""Real SNMP peers for the probe tests: one Net-SNMP `snmpd` and one snmpsim, each for the whole session.

`snmpd` answers on several loopback ports (each looks like a device) with the community `public` and
an SNMPv3 authPriv user; snmpsim serves the vendor recordings in `recordings/` (community = file name).
Both are stopped at the end of the session by their context managers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schoolit.probes.agent.wire import ProbeTarget
from schoolit.probes.simulators import (
    LOOPBACK,
    RunningAgent,
    V3User,
    closed_udp_ports,
    free_udp_ports,
    net_snmp_agent_on_free_ports,
    snmp_simulator,
)
from schoolit.snmp_protocols import AUTH_PROTOCOLS, PRIV_PROTOCOLS

RECORDINGS = Path(__file__).parent / "recordings"
V3_USER = V3User(name="probe", auth_key="auth-schoolit-2026", priv_key="priv-schoolit-2026")
# One user per protocol the inventory offers (schoolit.snmp_protocols), and the lower security levels.
V3_VARIANTS = [
    *(
        V3User(name=f"auth-{auth}", auth_key="auth-variant-2026", priv_key=None, auth_protocol=auth)
        for auth in AUTH_PROTOCOLS
    ),
    *(
        V3User(name=f"priv-{priv}", auth_key="auth-variant-2026", priv_key="priv-variant-2026",
               auth_protocol="SHA", priv_protocol=priv)  # SHA-1's 20 bytes: 192/256 need key extension
        for priv in PRIV_PROTOCOLS
    ),
    V3User(name="sha512-aes256", auth_key="auth-variant-2026", priv_key="priv-variant-2026",
           auth_protocol="SHA-512", priv_protocol="AES-256"),
    V3User(name="noauth", auth_key=None, priv_key=None),
]
SNMPD_PORTS = 20


def v2c(port: int, *, community: str = "public", **fields: object) -> ProbeTarget:
    options: dict = {"asset_kind": "access_point", "asset_id": port, **fields}
    return ProbeTarget(host=LOOPBACK, port=port, community=community, **options)


def v3(port: int, user: V3User, **fields: object) -> ProbeTarget:
    options: dict = {"asset_kind": "access_point", "asset_id": port, **fields}
    return ProbeTarget(
        host=LOOPBACK,
        port=port,
        snmp_version="3",
        v3_user=user.name,
        auth_protocol=AUTH_PROTOCOLS[user.auth_protocol] if user.auth_key else None,
        auth_key=user.auth_key,
        priv_protocol=PRIV_PROTOCOLS[user.priv_protocol] if user.priv_key else None,
        priv_key=user.priv_key,
        **options,
    )


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAgent]:
    with net_snmp_agent_on_free_ports(
        tmp_path_factory.mktemp("snmpd"), SNMPD_PORTS, v3_users=[V3_USER, *V3_VARIANTS], engine_id="schoolit-test-a"
    ) as agent:
        yield agent


@pytest.fixture(scope="session")
def snmpsim() -> Iterator[RunningAgent]:
    (port,) = free_udp_ports(1)
    with snmp_simulator(RECORDINGS, port, ready_community="generic") as agent:
        yield agent


@pytest.fixture
def dead_ports() -> list[int]:
    """Loopback UDP ports nobody listens on: a closed port stands for a dead device."""
    return closed_udp_ports(5)
