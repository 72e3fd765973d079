"""WLAN controllers against snmpsim recordings (tests/snmp/recordings/<profile>.snmprec, written from the
public MIB definitions named in `schoolit.probes.agent.controller_profiles`): one walk of the controller gives
each inventory access point its sample; a removed one is down, one with every radio down gives no
WLAN, and access points the inventory does not know are reported for adoption."""

from __future__ import annotations

import pytest

from schoolit.probes.agent.snmp import PollResult, SnmpPoller
from schoolit.probes.agent.wire import NOT_LISTED, RADIOS_DOWN, ControllerMember, ProbeTarget, Sample
from schoolit.probes.simulators import LOOPBACK, RunningAgent


def controller(port: int, profile: str, members: list[ControllerMember]) -> ProbeTarget:
    return ProbeTarget(asset_kind="controller", asset_id=900, host=LOOPBACK, port=port, community=profile,
                       profile=profile, members=members)


async def poll(snmpsim: RunningAgent, profile: str, members: list[ControllerMember]) -> PollResult:
    async with SnmpPoller() as poller:
        return await poller.poll(controller(snmpsim.ports[0], profile, members))


def by_id(result: PollResult) -> dict[int, Sample]:
    return {sample.asset_id: sample for sample in result.members}


async def test_cisco_9800_removed_ap_is_down_radios_down_is_no_wlan_unknown_is_listed(snmpsim: RunningAgent) -> None:
    members = [ControllerMember(asset_id=n, mac=f"00:3a:7d:10:00:0{n}") for n in (1, 2, 3)]
    result = await poll(snmpsim, "cisco-9800", members)
    samples = by_id(result)
    assert result.sample.reachable and result.sample.asset_kind == "controller"
    assert result.sys_name == "c9800-kreis"
    assert samples[1].reachable and samples[1].radio_up is True and samples[1].clients == 7 + 12
    assert not samples[2].reachable and samples[2].radio_up is False  # joined, both radios down
    assert samples[2].error is not None and samples[2].error.startswith(RADIOS_DOWN)
    assert not samples[3].reachable and samples[3].error == f"{NOT_LISTED}{LOOPBACK}:{snmpsim.ports[0]}"
    assert all(sample.asset_kind == "access_point" for sample in result.members)
    report = result.report
    assert report is not None and report.reachable and (report.listed, report.matched) == (3, 2)
    assert [(ap.mac, ap.name) for ap in report.unknown] == [("00:3a:7d:10:00:04", "APF01D.2E33.0001")]


async def test_arubaos_matches_by_mac_or_serial_and_reads_status(snmpsim: RunningAgent) -> None:
    members = [
        ControllerMember(asset_id=1, mac="00:24:6c:20:00:01"),
        ControllerMember(asset_id=2, serial="cnf7j0t002"),  # no MAC in the inventory: found by serial
        ControllerMember(asset_id=3, mac="00:24:6c:20:00:03", serial="CNF7J0T003"),  # removed
        ControllerMember(asset_id=5, mac="00:24:6c:20:00:05"),  # listed, status down(2)
    ]
    result = await poll(snmpsim, "aruba-os", members)
    samples = by_id(result)
    assert samples[1].reachable and samples[1].radio_up is True and samples[1].clients == 14
    assert not samples[2].reachable and samples[2].radio_up is False  # no active BSSID on any radio
    assert samples[2].error is not None and samples[2].error.startswith(RADIOS_DOWN)
    assert not samples[3].reachable and (samples[3].error or "").startswith(NOT_LISTED)
    assert not samples[5].reachable and "down (status 2)" in (samples[5].error or "")
    report = result.report
    assert report is not None and (report.listed, report.matched) == (4, 3)
    (unknown,) = report.unknown
    assert (unknown.mac, unknown.serial, unknown.model, unknown.up) == ("00:24:6c:20:00:04", "CNF7J0T004", "AP-535",
                                                                        True)


async def test_ruckus_smartzone_connection_status_text(snmpsim: RunningAgent) -> None:
    members = [ControllerMember(asset_id=n, mac=f"ec:8c:a2:30:00:0{n}") for n in (1, 2, 3)]
    result = await poll(snmpsim, "ruckus-smartzone", members)
    samples = by_id(result)
    assert samples[1].reachable and samples[1].clients == 14
    assert samples[1].radio_up is None  # RUCKUS-SZ-WLAN-MIB has no radio table
    assert not samples[2].reachable and "Disconnect" in (samples[2].error or "")
    assert not samples[3].reachable and (samples[3].error or "").startswith(NOT_LISTED)
    report = result.report
    assert report is not None
    assert [(ap.mac, ap.serial, ap.model) for ap in report.unknown] == [("ec:8c:a2:30:00:04", "321903000004", "R550")]


@pytest.mark.parametrize("profile", ["cisco-9800", "aruba-os", "ruckus-smartzone", "extreme-wireless", "lancom-wlc"])
async def test_a_controller_that_does_not_answer_says_nothing_about_its_access_points(
    profile: str, dead_ports: list[int]
) -> None:
    target = controller(dead_ports[0], profile, [ControllerMember(asset_id=1, mac="00:00:5e:00:53:01")])
    async with SnmpPoller(timeout=0.3, retries=0) as poller:
        result = await poller.poll(target)
    assert not result.sample.reachable and result.members == []
    assert result.report is not None and not result.report.reachable and result.report.error


async def test_a_controller_profile_on_an_access_point_gives_an_empty_table(snmpsim: RunningAgent) -> None:
    # The ArubaOS profile pointed at a LANCOM access point: it answers, lists nothing, every member is missing.
    target = ProbeTarget(asset_kind="controller", asset_id=900, host=LOOPBACK, port=snmpsim.ports[0],
                         community="lancom", profile="aruba-os", members=[ControllerMember(asset_id=1, serial="X1")])
    async with SnmpPoller() as poller:
        result = await poller.poll(target)
    assert result.sample.reachable and result.report is not None and result.report.listed == 0
    assert [sample.reachable for sample in result.members] == [False]


async def test_the_agent_sends_the_access_points_samples_and_the_controllers_report(snmpsim: RunningAgent) -> None:
    from schoolit.probes.agent.cli import make_batches, samples_to_send

    result = await poll(snmpsim, "cisco-9800", [ControllerMember(asset_id=1, mac="00:3a:7d:10:00:01")])
    samples = samples_to_send([result])
    assert [(s.asset_kind, s.asset_id) for s in samples] == [("access_point", 1)]  # not the controller itself
    assert result.report is not None
    (batch,) = make_batches(samples, 500, None, [result.report])
    assert batch.controllers == [result.report] and batch.as_samples() == samples


async def test_ruckus_zonedirector_index_with_length_and_radios_without_vaps(snmpsim: RunningAgent) -> None:
    members = [ControllerMember(asset_id=n, mac=f"2c:c5:d3:40:00:0{n}") for n in (1, 2, 3)]
    result = await poll(snmpsim, "ruckus-zonedirector", members)
    samples = by_id(result)
    assert samples[1].reachable and samples[1].radio_up is True and samples[1].clients == 17
    assert not samples[2].reachable and samples[2].radio_up is False  # no virtual AP on either radio
    assert (samples[2].error or "").startswith(RADIOS_DOWN)
    assert not samples[3].reachable and (samples[3].error or "").startswith(NOT_LISTED)
    report = result.report
    assert report is not None
    assert [(ap.mac, ap.serial, ap.up) for ap in report.unknown] == [("2c:c5:d3:40:00:04", "451809000004", True)]


def test_check_lists_a_controllers_access_points(snmpsim: RunningAgent) -> None:
    import json

    from tests.snmp.test_agent import probe_command

    result = probe_command("check", "--target", f"{LOOPBACK}:{snmpsim.ports[0]}", "--community", "aruba-os",
                           "--controller", "aruba-os", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["sys_name"] == "mc-kreis-01" and shown["sample"]["asset_kind"] == "controller"
    assert [(ap["mac"], ap.get("up")) for ap in shown["access_points"]] == [
        ("00:24:6c:20:00:01", True), ("00:24:6c:20:00:02", True), ("00:24:6c:20:00:04", True),
        ("00:24:6c:20:00:05", False)]
    table = probe_command("check", "--target", f"{LOOPBACK}:{snmpsim.ports[0]}", "--community", "ruckus-zonedirector",
                          "--controller", "ruckus-zonedirector")  # fmt: skip
    assert table.returncode == 0 and "3 access points listed by the controller" in table.stdout


async def test_extreme_wireless_index_is_no_mac_the_mac_is_a_column(snmpsim: RunningAgent) -> None:
    # HIPATH-WIRELESS-HWC-MIB numbers its apTable rows (apIndex 1, 2, 7, 9); the MAC is apIfMAC's six octets.
    members = [
        ControllerMember(asset_id=1, mac="00:1f:45:50:00:01"),
        ControllerMember(asset_id=2, serial="1508y-1000100002"),  # no MAC in the inventory: found by serial
        ControllerMember(asset_id=3, mac="00:1f:45:50:00:03"),  # removed from the controller
        ControllerMember(asset_id=5, mac="00:1f:45:50:00:05"),  # listed, apState inactive(2)
    ]
    result = await poll(snmpsim, "extreme-wireless", members)
    samples = by_id(result)
    assert result.sys_name == "ewc-kreis"
    assert samples[1].reachable and samples[1].radio_up is True and samples[1].clients == 9
    assert not samples[2].reachable and samples[2].radio_up is False  # apRadioType off(0) on both radios
    assert (samples[2].error or "").startswith(RADIOS_DOWN)
    assert not samples[3].reachable and (samples[3].error or "").startswith(NOT_LISTED)
    assert not samples[5].reachable and "down (status 2)" in (samples[5].error or "")
    report = result.report
    assert report is not None and (report.listed, report.matched) == (4, 3)
    assert [(ap.mac, ap.serial, ap.name, ap.up) for ap in report.unknown] == [
        ("00:1f:45:50:00:04", "1508Y-1000100004", "AP3912-0004", True)]


async def test_lancom_wlc_connection_table_by_job_radios_by_mac(snmpsim: RunningAgent) -> None:
    # LCOS-MIB numbers the CAPWAP connections (jobs 1, 2, 5, 7) with ApLanMac as a column; the active-radios
    # table is indexed by the AP's MAC + WLAN interface and carries the AP's name, module and serial.
    members = [
        ControllerMember(asset_id=1, mac="00:a0:57:60:00:01"),
        ControllerMember(asset_id=2, serial="4003170100000002"),  # no MAC in the inventory: found by serial
        ControllerMember(asset_id=3, mac="00:a0:57:60:00:03"),  # expected, but no longer connected
        ControllerMember(asset_id=5, mac="00:a0:57:60:00:05"),  # connected, CAPWAP state eSulking(45)
    ]
    result = await poll(snmpsim, "lancom-wlc", members)
    samples = by_id(result)
    assert result.sys_name == "wlc-kreis-kib"
    assert samples[1].reachable and samples[1].radio_up is True and samples[1].clients == 6 + 11
    assert not samples[2].reachable and samples[2].radio_up is False  # Operating eNo(0) on both radios
    assert (samples[2].error or "").startswith(RADIOS_DOWN)
    assert not samples[3].reachable and (samples[3].error or "").startswith(NOT_LISTED)
    assert not samples[5].reachable and "down (status 45)" in (samples[5].error or "")
    report = result.report
    assert report is not None and (report.listed, report.matched) == (4, 3)
    assert [(ap.mac, ap.serial, ap.name, ap.model, ap.up) for ap in report.unknown] == [
        ("00:a0:57:60:00:04", "4003170100000004", "LN-1700-0004", "LANCOM LN-1700", True)]


def test_check_lists_a_lancom_wlcs_access_points_with_their_names(snmpsim: RunningAgent) -> None:
    import json

    from tests.snmp.test_agent import probe_command

    result = probe_command("check", "--target", f"{LOOPBACK}:{snmpsim.ports[0]}", "--community", "lancom-wlc",
                           "--controller", "lancom-wlc", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [(ap["mac"], ap.get("name"), ap.get("up")) for ap in shown["access_points"]] == [
        ("00:a0:57:60:00:01", "ap-kib-aula", True), ("00:a0:57:60:00:02", "ap-kib-r112", True),
        ("00:a0:57:60:00:04", "LN-1700-0004", True), ("00:a0:57:60:00:05", None, False)]
