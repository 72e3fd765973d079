"""The one list of SNMPv3 protocols: the agent's client implements each, and the agent stays server-free."""

from __future__ import annotations

import subprocess
import sys

from schoolit.inventory.choices import SnmpAuthProtocol, SnmpPrivProtocol
from schoolit.probes import snmpv3
from schoolit.probes.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS, WIRE_AUTH_PROTOCOLS, WIRE_PRIV_PROTOCOLS


def test_the_client_implements_every_protocol_of_the_list() -> None:
    assert set(snmpv3.AUTH_PROTOCOLS) == {"", *WIRE_AUTH_PROTOCOLS} == {"", *AUTH_PROTOCOLS.values()}
    assert set(snmpv3.PRIV_PROTOCOLS) == {"", *WIRE_PRIV_PROTOCOLS} == {"", *PRIV_PROTOCOLS.values()}


def test_the_inventory_offers_exactly_the_list() -> None:
    assert [p.value for p in SnmpAuthProtocol] == list(AUTH_PROTOCOLS)
    assert [p.value for p in SnmpPrivProtocol] == list(PRIV_PROTOCOLS)


def test_the_agent_imports_no_server_code() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", "import sys, schoolit.probes.agent, schoolit.probes.snmpv3; "
         "print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True).stdout.split()
    assert not [m for m in shown if m.split(".")[0] in ("litestar", "piccolo", "asyncpg")]
    assert not [m for m in shown if m.startswith(("schoolit.inventory", "schoolit.web", "schoolit.db"))]
