"""What a probe polls: the active access points and live uplink routers in its scope, with their
SNMP credentials decrypted for this one answer (the only place they leave the database)."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from schoolit.accounts.choices import Permission
from schoolit.accounts.scope import Scope
from schoolit.db import fetch
from schoolit.inventory.secrets import decrypt
from schoolit.probes.schemas import ProbeTarget, TargetList
from schoolit.probes.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS

# Inventory vendor -> the probe's vendor profile (schoolit.probes.profiles); others fall back to IF-MIB.
VENDOR_PROFILES = {"aruba": "aruba-instant", "cisco": "cisco-aireos", "unifi": "unifi", "lancom": "lancom"}
# Controller-style profiles answer for many access points; the AP's rows are indexed by its MAC.
ROW_INDEXED = {"aruba-instant", "cisco-aireos"}

_ACCESS_POINTS = """
SELECT ap.id, host(ap.management_ip) AS host, ap.snmp_port AS port, ap.vendor, ap.mac::text AS mac,
       p.version, p.community_encrypted, p.v3_user, p.auth_protocol, p.auth_key_encrypted,
       p.priv_protocol, p.priv_key_encrypted
  FROM access_point ap JOIN snmp_profile p ON p.id = ap.snmp_profile_id
 WHERE ap.status = 'active' AND ap.management_ip IS NOT NULL AND {where}
 ORDER BY ap.id
"""
_UPLINKS = """
SELECT u.id, host(u.router_ip) AS host, u.snmp_port AS port, u.router_if_index AS if_index,
       p.version, p.community_encrypted, p.v3_user, p.auth_protocol, p.auth_key_encrypted,
       p.priv_protocol, p.priv_key_encrypted
  FROM uplink u JOIN snmp_profile p ON p.id = u.snmp_profile_id
 WHERE u.status = 'live' AND u.router_ip IS NOT NULL AND u.router_if_index IS NOT NULL AND {where}
 ORDER BY u.id
"""


def mac_arcs(mac: str | None) -> str:
    """A MAC as the six decimal arcs controllers index their per-AP rows with (00:1a:… -> 0.26.…)."""
    return ".".join(str(int(part, 16)) for part in mac.split(":")) if mac else ""


def _credentials(row: dict[str, Any]) -> dict[str, Any] | None:
    """The SNMP part of a target, or None when the profile lacks a secret.

    Inventory accepts only the protocols of `schoolit.probes.usm`, so every stored profile maps; the
    inventory spells them for people (SHA-256), the wire the agent's way (SHA256). A v3 profile without
    a privacy protocol is authNoPriv."""
    if row["version"] == "2c":
        community = decrypt(row["community_encrypted"])
        return {"snmp_version": "2c", "community": community} if community else None
    auth, priv = AUTH_PROTOCOLS.get(row["auth_protocol"]), PRIV_PROTOCOLS.get(row["priv_protocol"])
    auth_key = decrypt(row["auth_key_encrypted"]) if auth else None
    priv_key = decrypt(row["priv_key_encrypted"]) if priv else None
    if not row["v3_user"] or bool(auth) != bool(auth_key) or bool(priv) != bool(priv_key):
        return None
    return {"snmp_version": "3", "v3_user": row["v3_user"], "auth_protocol": auth, "auth_key": auth_key,
            "priv_protocol": priv, "priv_key": priv_key}


async def targets_for(scope: Scope) -> TargetList:
    """The probe's target list; `etag` changes whenever anything in it changes."""
    scope.require(Permission.PROBE_INGEST)
    targets: list[ProbeTarget] = []
    where, values = scope.sql("ap.county_id", school_expr="ap.school_id")
    for row in await fetch(_ACCESS_POINTS.format(where=where), *values):
        credentials = _credentials(row)
        if credentials is None:
            continue
        profile = VENDOR_PROFILES.get(row["vendor"], "generic")
        targets.append(ProbeTarget(asset_kind="access_point", asset_id=row["id"], host=row["host"],
                                   port=row["port"], profile=profile,
                                   row_index=mac_arcs(row["mac"]) if profile in ROW_INDEXED else "", **credentials))
    where, values = scope.sql("u.county_id", school_expr="u.school_id")
    for row in await fetch(_UPLINKS.format(where=where), *values):
        credentials = _credentials(row)
        if credentials is None:
            continue
        targets.append(ProbeTarget(asset_kind="uplink", asset_id=row["id"], host=row["host"], port=row["port"],
                                   if_index=row["if_index"], **credentials))
    etag = '"' + hashlib.sha256(msgspec.json.encode(targets)).hexdigest()[:32] + '"'
    return TargetList(targets=targets, etag=etag)
