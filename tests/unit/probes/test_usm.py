"""The one list of SNMPv3 protocols: the agent's client implements each, the inventory offers each."""

from __future__ import annotations

import pytest

from schoolit.inventory.choices import SnmpAuthProtocol, SnmpPrivProtocol
from schoolit.probes.agent import snmpv3
from schoolit.probes.agent.cli import build_parser
from schoolit.snmp_protocols import AUTH_PROTOCOLS, PRIV_PROTOCOLS, WIRE_AUTH_PROTOCOLS, WIRE_PRIV_PROTOCOLS


def test_the_client_implements_every_protocol_of_the_list() -> None:
    assert set(snmpv3.AUTH_PROTOCOLS) == {"", *WIRE_AUTH_PROTOCOLS} == {"", *AUTH_PROTOCOLS.values()}
    assert set(snmpv3.PRIV_PROTOCOLS) == {"", *WIRE_PRIV_PROTOCOLS} == {"", *PRIV_PROTOCOLS.values()}


def test_the_inventory_offers_exactly_the_list() -> None:
    assert [p.value for p in SnmpAuthProtocol] == list(AUTH_PROTOCOLS)
    assert [p.value for p in SnmpPrivProtocol] == list(PRIV_PROTOCOLS)


def test_check_accepts_exactly_the_list() -> None:
    """`schoolit-probe check` takes the inventory's spelling of every protocol, and nothing else."""
    parser = build_parser()
    base = ["check", "--target", "192.0.2.1", "--v3-user", "monitor", "--auth-key", "k" * 8, "--priv-key", "p" * 8]
    for auth in AUTH_PROTOCOLS:
        for priv in PRIV_PROTOCOLS:
            args = parser.parse_args([*base, "--auth-proto", auth, "--priv-proto", priv])
            assert (args.auth_proto, args.priv_proto) == (auth, priv)
    for refused in (["--auth-proto", "MD5"], ["--priv-proto", "DES"], ["--auth-proto", "SHA256"]):
        with pytest.raises(SystemExit):
            parser.parse_args([*base, *refused])
