"""SNMP profiles (their secrets encrypted at rest) and what a probe polls with them, decrypted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schoolit.accounts.scope import Scope
from schoolit.describe.inputs import REQUIRED, Input
from schoolit.describe.resource import Listing
from schoolit.errors import Forbidden, NotFound
from schoolit.inventory import secrets
from schoolit.inventory.choices import (
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpVersion,
)
from schoolit.inventory.services.store import change_row, create_row, delete_row, one, only_county, page
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch

SNMP_PROFILES = Listing(
    columns="p.id, p.county_id, c.name AS county_name, p.name, p.version, "
            "(p.community_encrypted IS NOT NULL) AS has_community, p.v3_user, p.auth_protocol, p.priv_protocol, "
            "p.created_at, p.updated_at",
    source="snmp_profile p JOIN county_directory c ON c.id = p.county_id",
    county="p.county_id",
    school=None,
    filters={"county_id": "p.county_id = {}", "version": "p.version = {}"},
    search=("p.name", "p.v3_user"),
    sorts={"name": "p.name", "county": "c.name", "version": "p.version"},
    default_sort="name",
    id_column="p.id",
)
MIN_SNMP_SECRET = 8  # RFC 3414: v3 passphrases have at least 8 characters; communities should too


def _snmp_read(scope: Scope) -> None:
    # Profiles are the network team's working material: only those who maintain the inventory see
    # even their names (authorities and school contacts see which profile an access point uses).
    scope.require(Permission.INVENTORY_WRITE)


async def list_snmp_profiles(scope: Scope, *, county_id: int | None = None, version: str | None = None,
                             q: str | None = None, sort: str | None = None, limit: int = 50,
                             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    _snmp_read(scope)
    return await page(SNMP_PROFILES, scope, filters={"county_id": county_id, "version": version}, q=q, sort=sort,
                       limit=limit, offset=offset)


async def get_snmp_profile(scope: Scope, profile_id: int) -> dict[str, Any]:
    _snmp_read(scope)
    return await one(SNMP_PROFILES, scope, profile_id, "SNMP profile")


def _secret(f: Input, field_name: str, needed: bool, stored: bool) -> str | None:
    """A write-only secret: empty keeps the stored one; a new one is checked and encrypted."""
    f.text(field_name, max_length=200)
    plain = f.values.pop(field_name, None)
    if plain:
        if len(plain) < MIN_SNMP_SECRET:
            f.error(field_name, N_("at least 8 characters"))
        return secrets.encrypt(plain)
    if needed and not stored:
        f.error(field_name, REQUIRED)
    return None


def _snmp_values(f: Input, current: Mapping[str, Any] | None) -> dict[str, Any]:
    f.text("name", max_length=120, required=True)
    f.choice("version", SnmpVersion, required=True)
    f.text("v3_user", max_length=64)
    f.choice("auth_protocol", SnmpAuthProtocol, empty="")
    f.choice("priv_protocol", SnmpPrivProtocol, empty="")
    version = f.value("version", current) or SnmpVersion.V3.value
    stored = dict(current or {})
    if current is not None and version != current["version"]:
        stored = {}  # switching versions: the other version's secrets go
    values = dict(f.values)
    if version == SnmpVersion.V2C.value:
        community = _secret(f, "community", True, bool(stored.get("has_community")))
        if community:
            values["community_encrypted"] = community
        values.update(v3_user="", auth_protocol="", priv_protocol="", auth_key_encrypted=None,
                      priv_key_encrypted=None)
        return values
    # SNMPv3: authentication is required (BSI NET.2.1); privacy is recommended and needs authentication.
    if not f.value("v3_user", current):
        f.error("v3_user", REQUIRED)
    if not f.value("auth_protocol", stored or None):
        f.error("auth_protocol", REQUIRED)
    auth_key = _secret(f, "auth_key", True, bool(stored.get("has_auth_key")))
    priv_protocol = f.value("priv_protocol", stored or None)
    priv_key = _secret(f, "priv_key", bool(priv_protocol), bool(stored.get("has_priv_key")))
    if auth_key:
        values["auth_key_encrypted"] = auth_key
    if priv_key:
        values["priv_key_encrypted"] = priv_key
    if not priv_protocol:
        values["priv_key_encrypted"] = None
    values["community_encrypted"] = None
    return values


async def _snmp_stored(profile_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT version, v3_user, auth_protocol, priv_protocol, community_encrypted IS NOT NULL AS "
                       "has_community, auth_key_encrypted IS NOT NULL AS has_auth_key, priv_key_encrypted IS NOT "
                       "NULL AS has_priv_key FROM snmp_profile WHERE id = {}", profile_id)
    return rows[0]


async def create_snmp_profile(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = Input(data, partial=False)
    f.reference("county_id")
    values = _snmp_values(f, None)
    county_id = f.value("county_id") or only_county(scope)
    if county_id is None:
        f.error("county_id", REQUIRED)
    elif not scope.sees_county(county_id):
        f.error("county_id", N_("unknown county"))
    f.raise_if_invalid()
    values["county_id"] = county_id
    return await create_row(scope, "snmp_profile", values, get_snmp_profile)


async def update_snmp_profile(scope: Scope, profile_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_snmp_profile(scope, profile_id)
    f = Input(data, partial=True)
    values = _snmp_values(f, await _snmp_stored(profile_id))
    if "county_id" in data and data["county_id"] not in (None, "", before["county_id"], str(before["county_id"])):
        f.error("county_id", N_("a profile stays in its county"))
    f.raise_if_invalid()
    values.pop("county_id", None)
    return await change_row(scope, "snmp_profile", before, values, get_snmp_profile)


async def delete_snmp_profile(scope: Scope, profile_id: int) -> None:
    """Access points and uplinks that used it are left without a profile."""
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_snmp_profile(scope, profile_id)
    await delete_row(scope, "snmp_profile", before)


@dataclass(frozen=True)
class SnmpCredentials:
    """Decrypted SNMP credentials, for the probes domain only (never an API answer or a page)."""

    profile_id: int
    version: str
    community: str | None = None
    v3_user: str = ""
    auth_protocol: str = ""
    auth_key: str | None = None
    priv_protocol: str = ""
    priv_key: str | None = None

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return f"SnmpCredentials(profile_id={self.profile_id}, version={self.version!r}, v3_user={self.v3_user!r})"


_CREDENTIAL_COLUMNS = ("version, community_encrypted, v3_user, auth_protocol, auth_key_encrypted, priv_protocol, "
                       "priv_key_encrypted")


def _decrypted(profile_id: int, row: Mapping[str, Any]) -> SnmpCredentials:
    """The one place SNMP secrets are decrypted."""
    return SnmpCredentials(
        profile_id=profile_id, version=row["version"], community=secrets.decrypt(row["community_encrypted"]),
        v3_user=row["v3_user"], auth_protocol=row["auth_protocol"], auth_key=secrets.decrypt(row["auth_key_encrypted"]),
        priv_protocol=row["priv_protocol"], priv_key=secrets.decrypt(row["priv_key_encrypted"]))


async def snmp_credentials(scope: Scope, profile_id: int) -> SnmpCredentials:
    """The decrypted credentials of a profile in the caller's scope: for probes (and the people who
    maintain the inventory, e.g. to test a profile)."""
    if not (scope.can(Permission.PROBE_INGEST) or scope.can(Permission.INVENTORY_WRITE)):
        raise Forbidden("your role may not do this")
    rows = await fetch(f"SELECT id, county_id, {_CREDENTIAL_COLUMNS} FROM snmp_profile WHERE id = {{}}",  # noqa: S608
                       profile_id)
    if not rows:
        raise NotFound("SNMP profile not found")
    row = rows[0]
    scope.check(row["county_id"], what="SNMP profile")
    return _decrypted(row["id"], row)


@dataclass(frozen=True)
class MonitoredAsset:
    """An access point or uplink router a probe polls, with its profile's credentials decrypted."""

    kind: str  # "access_point" or "uplink" (the probes domain's asset kinds)
    id: int
    host: str
    port: int
    credentials: SnmpCredentials
    vendor: str = ""  # access points
    mac: str | None = None  # access points
    if_index: int | None = None  # uplinks: the router's interface of the line
    if_name: str = ""  # uplinks: or that interface's ifName/ifAlias (when no if_index is given)


_MONITORED_ACCESS_POINTS = f"""
SELECT ap.id, host(ap.management_ip) AS host, ap.snmp_port AS port, ap.vendor, ap.mac::text AS mac,
       p.id AS profile_id, {_CREDENTIAL_COLUMNS}
  FROM access_point ap JOIN snmp_profile p ON p.id = ap.snmp_profile_id
 WHERE ap.status = 'active' AND ap.management_ip IS NOT NULL AND {{}}
 ORDER BY ap.id
"""  # noqa: S608 (constants)
_MONITORED_UPLINKS = f"""
SELECT u.id, host(u.router_ip) AS host, u.snmp_port AS port, u.router_if_index AS if_index,
       u.router_interface AS if_name,
       p.id AS profile_id, {_CREDENTIAL_COLUMNS}
  FROM uplink u JOIN snmp_profile p ON p.id = u.snmp_profile_id
 WHERE u.status = 'live' AND u.router_ip IS NOT NULL
   AND (u.router_if_index IS NOT NULL OR u.router_interface <> '') AND {{}}
 ORDER BY u.id
"""  # noqa: S608 (constants)


async def monitored_assets(scope: Scope) -> list[MonitoredAsset]:
    """What a probe polls: the active access points and live uplink routers in its scope that have an
    SNMP profile and an address, access points first, each kind in id order. SNMP secrets leave the
    inventory only through this function and `snmp_credentials`."""
    scope.require(Permission.PROBE_INGEST)
    assets: list[MonitoredAsset] = []
    for row in await fetch(_MONITORED_ACCESS_POINTS, scope.where("ap.county_id", school="ap.school_id")):
        assets.append(MonitoredAsset("access_point", row["id"], row["host"], row["port"],
                                     _decrypted(row["profile_id"], row), vendor=row["vendor"], mac=row["mac"]))
    for row in await fetch(_MONITORED_UPLINKS, scope.where("u.county_id", school="u.school_id")):
        assets.append(MonitoredAsset("uplink", row["id"], row["host"], row["port"],
                                     _decrypted(row["profile_id"], row), if_index=row["if_index"],
                                     if_name=row["if_name"]))
    return assets
