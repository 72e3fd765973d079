"""What a probe polls, as the agent's target list: the inventory's WLAN controllers with the access points
each manages (`schoolit.inventory.wlan_controllers.monitored_controllers`) and its other monitored assets
(`schoolit.inventory.services.monitored_assets`; both decrypt the SNMP credentials for this one answer),
mapped to the agent's vendor and controller profiles and protocol names."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from schoolit.accounts.scope import Scope
from schoolit.inventory.services import SnmpCredentials, monitored_assets
from schoolit.inventory.wlan_controllers import monitored_controllers
from schoolit.kernel.access import Permission
from schoolit.probes.agent.wire import ControllerMember, ProbeTarget, TargetList
from schoolit.snmp_protocols import AUTH_PROTOCOLS, PRIV_PROTOCOLS

# Inventory vendor -> the probe's vendor profile (schoolit.probes.agent.profiles); others fall back to IF-MIB.
VENDOR_PROFILES = {"aruba": "aruba-instant", "cisco": "cisco-aireos", "unifi": "unifi", "lancom": "lancom",
                   "aerohive": "aerohive", "zyxel": "zyxel"}
# Controller-style profiles answer for many access points; the AP's rows are indexed by its MAC.
ROW_INDEXED = {"aruba-instant", "cisco-aireos"}


def mac_arcs(mac: str | None) -> str:
    """A MAC as the six decimal arcs controllers index their per-AP rows with (00:1a:… -> 0.26.…)."""
    return ".".join(str(int(part, 16)) for part in mac.split(":")) if mac else ""


def _credentials(credentials: SnmpCredentials) -> dict[str, Any] | None:
    """The SNMP part of a target, or None when the profile lacks a secret.

    Inventory accepts only the protocols of `schoolit.snmp_protocols`, so every stored profile maps; the
    inventory spells them for people (SHA-256), the wire the agent's way (SHA256). A v3 profile without
    a privacy protocol is authNoPriv."""
    if credentials.version == "2c":
        community = credentials.community
        return {"snmp_version": "2c", "community": community} if community else None
    auth, priv = AUTH_PROTOCOLS.get(credentials.auth_protocol), PRIV_PROTOCOLS.get(credentials.priv_protocol)
    auth_key = credentials.auth_key if auth else None
    priv_key = credentials.priv_key if priv else None
    if not credentials.v3_user or bool(auth) != bool(auth_key) or bool(priv) != bool(priv_key):
        return None
    return {"snmp_version": "3", "v3_user": credentials.v3_user, "auth_protocol": auth, "auth_key": auth_key,
            "priv_protocol": priv, "priv_key": priv_key}


async def targets_for(scope: Scope) -> TargetList:
    """The probe's target list; `etag` changes whenever anything in it changes."""
    scope.require(Permission.PROBE_INGEST)
    targets: list[ProbeTarget] = []
    # Access points a controller manages are polled through it (one walk), not one by one.
    through_controller: set[int] = set()
    for controller in await monitored_controllers(scope):
        credentials = _credentials(controller.credentials)
        if credentials is None:
            continue
        members = [ControllerMember(asset_id=ap.id, mac=ap.mac, serial=ap.serial) for ap in controller.access_points]
        through_controller.update(member.asset_id for member in members)
        targets.append(ProbeTarget(asset_kind="controller", asset_id=controller.id, host=controller.host,
                                   port=controller.port, profile=controller.profile, members=members, **credentials))
    for asset in await monitored_assets(scope):
        credentials = _credentials(asset.credentials)
        if credentials is None or (asset.kind == "access_point" and asset.id in through_controller):
            continue
        if asset.kind == "access_point":
            profile = VENDOR_PROFILES.get(asset.vendor, "generic")
            targets.append(ProbeTarget(asset_kind="access_point", asset_id=asset.id, host=asset.host,
                                       port=asset.port, profile=profile,
                                       row_index=mac_arcs(asset.mac) if profile in ROW_INDEXED else "",
                                       **credentials))
        else:
            targets.append(ProbeTarget(asset_kind="uplink", asset_id=asset.id, host=asset.host, port=asset.port,
                                       if_index=asset.if_index, if_name=asset.if_name or None, **credentials))
    etag = '"' + hashlib.sha256(msgspec.json.encode(targets)).hexdigest()[:32] + '"'
    return TargetList(targets=targets, etag=etag)
