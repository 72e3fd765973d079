"""The SNMP client against real agents: Net-SNMP for v2c/v3 and load, snmpsim for vendor recordings."""

from __future__ import annotations

import socket
import time

import pytest

from schoolit.probes.agent.snmp import SnmpPoller
from schoolit.probes.agent.wire import CREDENTIALS_REJECTED, ProbeTarget
from schoolit.probes.simulators import LOOPBACK, RunningAgent, V3User, net_snmp_agent_on_free_ports

from .conftest import V3_USER, V3_VARIANTS, v2c, v3


async def test_v2c_uplink_poll_reads_system_group_and_interface(snmpd: RunningAgent) -> None:
    async with SnmpPoller() as poller:
        result = await poller.poll(v2c(snmpd.ports[0], asset_kind="uplink", if_index=1))
    sample = result.sample
    assert sample.reachable and sample.error is None
    assert result.sys_name == socket.gethostname()  # Net-SNMP answers the host name
    assert result.sys_object_id is not None and result.sys_object_id.startswith("1.3.6.1.4.1.8072.")
    assert sample.uptime_ticks is not None and sample.uptime_ticks > 0
    assert sample.oper_status == 1  # ifIndex 1 is the loopback interface, always up
    assert isinstance(sample.in_octets, int) and isinstance(sample.out_octets, int)
    assert isinstance(sample.if_speed_mbps, int)
    assert sample.response_ms is not None and 0 < sample.response_ms < 1000
    assert sample.polled_at.tzinfo is not None


async def test_v3_authpriv_poll(snmpd: RunningAgent) -> None:
    async with SnmpPoller() as poller:
        result = await poller.poll(v3(snmpd.ports[1], V3_USER, asset_kind="uplink", if_index=1))
    assert result.sample.reachable, result.sample.error
    assert result.sys_name == socket.gethostname()
    assert result.sample.oper_status == 1


@pytest.mark.parametrize("user", V3_VARIANTS, ids=lambda user: user.name)
async def test_v3_every_protocol_and_security_level_the_inventory_offers(snmpd: RunningAgent, user: V3User) -> None:
    async with SnmpPoller(timeout=2) as poller:
        result = await poller.poll(v3(snmpd.ports[4], user, asset_kind="uplink", if_index=1))
    assert result.sample.reachable, result.sample.error
    assert result.sample.error is None and result.sample.oper_status == 1


async def test_v3_wrong_privacy_variant_is_not_polled(snmpd: RunningAgent) -> None:
    # Net-SNMP's AES-256 (Blumenthal) and Cisco's AES-256-C derive different keys from one passphrase:
    # the profile must name the device's variant; the wrong one does not decrypt. (They differ only where
    # the auth digest is shorter than the AES key: SHA-1's 20 bytes for AES-256.)
    (user,) = (u for u in V3_VARIANTS if u.priv_protocol == "AES-256" and u.auth_protocol == "SHA")
    cisco = V3User(name=user.name, auth_key=user.auth_key, priv_key=user.priv_key, auth_protocol="SHA",
                   priv_protocol="AES-256-C")
    async with SnmpPoller(timeout=0.5, retries=0) as poller:
        result = await poller.poll(v3(snmpd.ports[5], cisco))
    assert not result.sample.reachable and result.sample.error


async def test_v3_wrong_auth_key_is_reported(snmpd: RunningAgent) -> None:
    wrong = V3User(name=V3_USER.name, auth_key="not-the-auth-key", priv_key=V3_USER.priv_key)
    unknown = V3User(name="nobody-here", auth_key=V3_USER.auth_key, priv_key=V3_USER.priv_key)
    async with SnmpPoller(timeout=2.0, retries=0) as poller:
        result = await poller.poll(v3(snmpd.ports[2], wrong))
        nobody = await poller.poll(v3(snmpd.ports[2], unknown))
    # Net-SNMP answers with a report (usmStatsWrongDigests, usmStatsUnknownUserNames): refused, not silent.
    assert not result.sample.reachable
    assert result.sample.error == f"{CREDENTIALS_REJECTED}Wrong SNMP PDU digest"
    assert nobody.sample.error == f"{CREDENTIALS_REJECTED}Unknown USM user"


async def test_v3_same_user_name_with_different_keys_on_two_agents(
    snmpd: RunningAgent, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # pysnmp keys v3 users by (name, engine id): the second key set must not overwrite the first.
    other_user = V3User(name=V3_USER.name, auth_key="other-auth-key-77", priv_key="other-priv-key-77")
    with net_snmp_agent_on_free_ports(
        tmp_path_factory.mktemp("snmpd-b"), 1, v3_users=[other_user], engine_id="schoolit-test-b"
    ) as other:
        targets = [v3(snmpd.ports[3], V3_USER, asset_id=1), v3(other.ports[0], other_user, asset_id=2)] * 10
        async with SnmpPoller(concurrency=20) as poller:
            results = await poller.poll_all(targets)
            engines = poller.engine_count
    assert [r.sample.error for r in results] == [None] * len(targets)
    assert all(r.sample.reachable for r in results)
    assert engines == 2  # one engine per conflicting key set, not one per target


@pytest.mark.parametrize(
    ("profile", "row_index", "clients", "radio_up"),
    [
        # Values are those written in tests/snmp/recordings/<profile>.snmprec.
        ("aruba-instant", "", 7 + 16 + 0 + 0, True),
        ("aruba-instant", "104.40.207.200.4.72", 0, False),
        ("cisco-aireos", "", 12 + 21 + 0 + 0 + 5 + 0, True),
        ("cisco-aireos", "0.11.134.1.2.3", 12 + 21, True),
        ("cisco-aireos", "0.11.134.4.5.6", 0, False),
        ("unifi", "", 9 + 14 + 2 + 0, True),
        ("lancom", "", 3, None),  # three of five stations in state connected(3)
        ("aerohive", "", 3 + 1, True),  # four ahAssociationTable rows; wifi0 up, wifi1 down
        ("zyxel", "", 0 + 15, True),  # 2.4 GHz radio switched off (channel 0), 5 GHz on channel 36
        ("generic", "", None, True),  # one of two ieee80211 interfaces up
    ],
)
async def test_vendor_profile_reads_recorded_clients_and_radio(
    snmpsim: RunningAgent, profile: str, row_index: str, clients: int | None, radio_up: bool | None
) -> None:
    target = v2c(snmpsim.ports[0], community=profile, profile=profile, row_index=row_index)
    async with SnmpPoller() as poller:
        result = await poller.poll(target)
    assert result.sample.reachable and result.sample.error is None
    assert result.sample.clients == clients
    assert result.sample.radio_up is radio_up


async def test_profile_that_does_not_fit_the_device_gives_no_figures(snmpsim: RunningAgent) -> None:
    # A UniFi profile pointed at a LANCOM: reachable, but no client count or radio state to report.
    async with SnmpPoller() as poller:
        result = await poller.poll(v2c(snmpsim.ports[0], community="lancom", profile="unifi"))
    assert result.sample.reachable
    assert result.sample.clients is None and result.sample.radio_up is None


async def test_counter64_and_timeticks_are_read_exactly(snmpsim: RunningAgent) -> None:
    target = v2c(snmpsim.ports[0], community="uplink-router", asset_kind="uplink", if_index=2)
    async with SnmpPoller() as poller:
        result = await poller.poll(target)
    sample = result.sample
    assert sample.uptime_ticks == 4294967000  # TimeTicks near 2^32
    assert sample.in_octets == 98765432109876  # Counter64 beyond 2^32
    assert sample.out_octets == 18446744073709551000  # Counter64 beyond 2^63
    assert sample.if_speed_mbps == 1000
    assert sample.oper_status == 2
    assert result.sys_name == "router-bbs-kirchheimbolanden"
    assert result.sys_object_id == "1.3.6.1.4.1.2356.11.8.2"


async def test_a_router_without_hc_counters_gives_its_32_bit_ones(snmpsim: RunningAgent) -> None:
    # A PPPoE router of the old kind: no ifHCInOctets/ifHCOutOctets, ifHighSpeed 0 (recording router-32bit).
    async with SnmpPoller() as poller:
        result = await poller.poll(v2c(snmpsim.ports[0], community="router-32bit", asset_kind="uplink", if_index=1))
    sample = result.sample
    assert sample.reachable and sample.error is None
    assert (sample.in_octets, sample.out_octets, sample.counter_bits) == (4294000000, 123456789, 32)
    assert sample.if_speed_mbps == 0 and sample.oper_status == 1
    async with SnmpPoller() as poller:  # a router with HC counters: those, unmarked
        modern = await poller.poll(v2c(snmpsim.ports[0], community="uplink-router", asset_kind="uplink", if_index=1))
    assert (modern.sample.in_octets, modern.sample.counter_bits) == (1000, None)


async def test_closed_port_is_refused_at_once_not_after_the_timeout(dead_ports: list[int]) -> None:
    # The ICMP "port unreachable" of a device whose agent is off ends the request immediately.
    timeout, retries = 2.0, 1
    async with SnmpPoller(timeout=timeout, retries=retries) as poller:
        started = time.monotonic()
        results = await poller.poll_all([v2c(port) for port in dead_ports])
        elapsed = time.monotonic() - started
    assert not any(result.sample.reachable for result in results)
    assert all("refused" in (result.sample.error or "") for result in results)  # not "timeout"
    assert elapsed < timeout * (retries + 1)  # no request waited for its whole budget


async def test_silent_device_costs_the_timeout_budget_and_no_more() -> None:
    # A device that swallows requests (no answer, no ICMP): bounded by timeout * (retries + 1).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:
        black_hole.bind((LOOPBACK, 0))
        timeout, retries = 0.3, 1
        async with SnmpPoller(timeout=timeout, retries=retries) as poller:
            started = time.monotonic()
            result = await poller.poll(v2c(black_hole.getsockname()[1]))
            elapsed = time.monotonic() - started
    assert not result.sample.reachable
    assert result.sample.error and "timeout" in result.sample.error.lower()
    assert timeout * (retries + 1) * 0.9 < elapsed < timeout * (retries + 1) + 1.0


async def test_many_targets_concurrently_over_one_socket(snmpd: RunningAgent, dead_ports: list[int]) -> None:
    live = [
        v2c(port, asset_id=i * 100 + n, asset_kind="uplink", if_index=1)
        for n, port in enumerate(snmpd.ports)
        for i in range(15)
    ]
    dead = [v2c(port, asset_id=10_000 + i * 10 + n) for n, port in enumerate(dead_ports) for i in range(10)]
    mixed = [target for pair in zip(live[::6], dead, strict=False) for target in pair] + live  # dead ones interleaved
    timeout = 2.0
    async with SnmpPoller(concurrency=100, timeout=timeout, retries=1) as poller:
        started = time.monotonic()
        results = await poller.poll_all(mixed)
        elapsed = time.monotonic() - started
        engines = poller.engine_count
    assert [r.sample.asset_id for r in results] == [t.asset_id for t in mixed]  # order kept
    dead_ids = {t.asset_id for t in dead}
    assert all(r.sample.reachable != (r.sample.asset_id in dead_ids) for r in results)
    assert engines == 0  # v2c goes through the client's one socket; no pysnmp v3 engine is started
    # Refused ports end at once, and no request to a live agent was lost to a pending ICMP error
    # (a lost one would wait for its retry after the 2 s timeout).
    assert elapsed < timeout


async def test_unknown_host_name_fails_that_target_only(snmpd: RunningAgent) -> None:
    targets = [
        v2c(snmpd.ports[0]),
        ProbeTarget(asset_kind="access_point", asset_id=9, host="no-such-host.invalid", community="public"),
    ]
    async with SnmpPoller(timeout=2.0, retries=0) as poller:
        good, bad = await poller.poll_all(targets)
    assert good.sample.reachable
    assert not bad.sample.reachable and bad.sample.error


@pytest.mark.parametrize(("name", "if_index"), [
    ("pppoe-wan", 2), ("WAN Deutsche Glasfaser", 2), ("wan deutsche glasfaser ", 2),  # ifName, ifAlias
    ("eth0", 1), ("LAN Verwaltung", 1), ("PPPoE over eth1", 2),  # the LAN side; ifDescr as the last resort
])
async def test_uplink_interface_by_ifname_or_ifalias(snmpsim: RunningAgent, name: str, if_index: int) -> None:
    by_name = v2c(snmpsim.ports[0], community="uplink-router", asset_kind="uplink", if_name=name)
    by_index = v2c(snmpsim.ports[0], community="uplink-router", asset_kind="uplink", if_index=if_index)
    async with SnmpPoller() as poller:
        named, numbered = await poller.poll(by_name), await poller.poll(by_index)
    assert named.sample.error is None and named.sample.reachable
    figures = ("in_octets", "out_octets", "if_speed_mbps", "oper_status")
    assert [getattr(named.sample, f) for f in figures] == [getattr(numbered.sample, f) for f in figures]


async def test_uplink_interface_by_name_on_net_snmp(snmpd: RunningAgent) -> None:
    # Net-SNMP names the loopback interface "lo" (ifName), index 1.
    async with SnmpPoller() as poller:
        result = await poller.poll(v2c(snmpd.ports[6], asset_kind="uplink", if_name="lo"))
    assert result.sample.reachable and result.sample.error is None
    assert result.sample.oper_status == 1 and isinstance(result.sample.in_octets, int)


async def test_an_interface_name_the_router_does_not_have_is_a_configuration_error(snmpsim: RunningAgent) -> None:
    async with SnmpPoller() as poller:
        result = await poller.poll(v2c(snmpsim.ports[0], community="uplink-router", asset_kind="uplink",
                                       if_name="dialer0"))
    assert result.sample.reachable  # the router answers: not an outage
    assert result.sample.error == "no interface named 'dialer0' (ifName, ifAlias or ifDescr)"
    assert result.sample.in_octets is None


async def test_zyxel_with_every_radio_switched_off_gives_no_wlan(snmpsim: RunningAgent) -> None:
    # tests/snmp/recordings/zyxel-off.snmprec: both radios device_is_disable(0), nobody associated.
    async with SnmpPoller() as poller:
        result = await poller.poll(v2c(snmpsim.ports[0], community="zyxel-off", profile="zyxel"))
    assert result.sample.reachable and result.sample.clients == 0 and result.sample.radio_up is False
