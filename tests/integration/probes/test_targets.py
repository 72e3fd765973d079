"""Every SNMP profile the inventory accepts reaches the probe's target list, with the agent's names."""

from __future__ import annotations

import itertools

import httpx
import msgspec
import pytest

from schoolit.errors import ValidationFailed
from schoolit.inventory import services
from schoolit.probes.agent.wire import TargetList
from schoolit.probes.targets import targets_for
from schoolit.snmp_protocols import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from schoolit.sql import fetch
from tests.integration.inventory.world import SYSTEM
from tests.integration.probes.network import Network, build_network, probe_scope
from tests.integration.world import World


@pytest.fixture
async def network(world: World) -> Network:
    return await build_network(world, only=("kib",))


async def test_every_accepted_v3_profile_is_a_target(world: World, network: Network) -> None:
    county = world.counties["donnersbergkreis"]
    (ap,) = network.access_points["kib"][:1]
    scope = await probe_scope(world)
    for number, (auth, priv) in enumerate(itertools.product(AUTH_PROTOCOLS, ("", *PRIV_PROTOCOLS))):
        profile = await services.create_snmp_profile(SYSTEM, {
            "county_id": county, "name": f"v3 {number}", "version": "3", "v3_user": "monitor",
            "auth_protocol": auth, "auth_key": "auth-key-2026", "priv_protocol": priv,
            "priv_key": "priv-key-2026" if priv else ""})
        await fetch("UPDATE access_point SET snmp_profile_id = {} WHERE id = {}", profile["id"], ap)
        targets = (await targets_for(scope)).targets
        (target,) = [t for t in targets if (t.asset_kind, t.asset_id) == ("access_point", ap)]
        assert (target.snmp_version, target.v3_user, target.auth_key) == ("3", "monitor", "auth-key-2026")
        assert target.auth_protocol == AUTH_PROTOCOLS[auth]
        assert target.priv_protocol == (PRIV_PROTOCOLS[priv] if priv else None)
        assert target.priv_key == ("priv-key-2026" if priv else None)
        msgspec.json.decode(msgspec.json.encode(target), type=type(target))  # the agent can read it


@pytest.mark.parametrize(("auth", "priv"), [("MD5", "AES"), ("SHA", "DES"), ("SHA-256", "AES256"), ("", "")])
async def test_a_profile_the_probe_cannot_poll_is_refused(world: World, auth: str, priv: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await services.create_snmp_profile(SYSTEM, {
            "county_id": world.counties["donnersbergkreis"], "name": "unpollbar", "version": "3", "v3_user": "x",
            "auth_protocol": auth, "auth_key": "auth-key-2026", "priv_protocol": priv, "priv_key": "priv-key-2026"})
    assert {error.field for error in refused.value.errors} & {"auth_protocol", "priv_protocol"}


async def test_snmp_port_is_set_through_the_api_and_reaches_the_probe(client: httpx.AsyncClient, world: World,
                                                                      network: Network) -> None:
    ap = network.access_points["kib"][0]
    uplink = network.uplinks["kib"]
    # The test network polls 127.0.0.1, outside the school's management network: no network entered.
    await fetch("UPDATE school SET management_prefix = NULL WHERE id = {}", world.schools["kib"]["id"])
    changed = await client.patch(f"/api/v1/access-points/{ap}", json={"snmp_port": 1161}, headers=world.auth("admin"))
    assert changed.status_code == 200, changed.text
    assert changed.json()["snmp_port"] == 1161
    wrong = await client.patch(f"/api/v1/uplinks/{uplink}", json={"snmp_port": 70000}, headers=world.auth("admin"))
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["snmp_port"]
    assert (await client.patch(f"/api/v1/uplinks/{uplink}", json={"snmp_port": 10161},
                               headers=world.auth("admin"))).status_code == 200
    targets = msgspec.json.decode((await client.get("/api/v1/probe/targets", headers=world.auth("probe"))).content,
                                  type=TargetList).targets
    ports = {(t.asset_kind, t.asset_id): t.port for t in targets}
    assert ports[("access_point", ap)] == 1161 and ports[("uplink", uplink)] == 10161


async def test_a_disposed_access_point_is_no_target_and_stays_none(client: httpx.AsyncClient, world: World) -> None:
    """An access point leaves the target list when it is taken down (retired) and, once disposed of, cannot be
    set active again: the probe never polls it again."""
    ap = world.by_school["access_point"]["kib"]  # active, with an address and a profile

    async def polled() -> bool:
        answer = await client.get("/api/v1/probe/targets", headers=world.auth("probe"))
        targets = msgspec.json.decode(answer.content, type=TargetList).targets
        return ("access_point", ap) in {(t.asset_kind, t.asset_id) for t in targets}

    assert await polled()
    assert (await client.post(f"/api/v1/access-points/{ap}/retire", headers=world.auth("admin"))).status_code == 200
    assert not await polled()
    requested = await client.post(f"/api/v1/access-points/{ap}/disposal", data={"reason": "obsolete"},
                                  files={"certificate": ("reset.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
                                  headers=world.auth("verbund_supporter"))
    assert requested.status_code == 201, requested.text
    approved = await client.post(f"/api/v1/disposals/{requested.json()['id']}/approve", json={"note": ""},
                                 headers=world.auth("donnersberg_authority"))
    assert approved.status_code == 200, approved.text
    again = await client.patch(f"/api/v1/access-points/{ap}", json={"status": "active"}, headers=world.auth("admin"))
    assert again.status_code == 409
    assert (await fetch("SELECT status FROM access_point WHERE id = {}", ap))[0]["status"] == "disposed"
    assert not await polled()
    assert ap not in {a.id for a in await services.monitored_assets(await probe_scope(world))}
