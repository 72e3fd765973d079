"""Every SNMP profile the inventory accepts reaches the probe's target list, with the agent's names."""

from __future__ import annotations

import itertools

import msgspec
import pytest

from schoolit.db import fetch
from schoolit.errors import ValidationFailed
from schoolit.inventory import services
from schoolit.probes.targets import targets_for
from schoolit.probes.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS
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
