"""SNMP profiles (their secrets encrypted at rest) and what a probe polls with them, decrypted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schoolit.accounts.scope import ROLE_MAY_NOT, Scope
from schoolit.describe.inputs import Input
from schoolit.errors import Forbidden, NotFound
from schoolit.inventory import secrets
from schoolit.inventory.choices import SnmpVersion
from schoolit.inventory.resources.snmp_profile import SNMP_PROFILE, SNMP_PROFILES
from schoolit.inventory.services.store import change_row, county_for_write, create_row, delete_row, one, page
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch

PROFILE_NOT_FOUND = N_("SNMP profile not found")


def _snmp_read(scope: Scope) -> None:
    # Profiles are the network team's working material: only those who maintain the inventory see
    # even their names (authorities and school contacts see which profile an access point uses).
    scope.require(Permission.INVENTORY_WRITE)


async def list_snmp_profiles(scope: Scope, *, q: str | None = None, sort: str | None = None, limit: int = 50,
                             offset: int = 0, filters: Mapping[str, Any] | None = None,
                             **by: Any) -> tuple[list[dict[str, Any]], int]:
    """Profiles, never their secrets; `filters` (a query string's) and `by` by the description's names."""
    _snmp_read(scope)
    return await page(SNMP_PROFILES, scope, filters=SNMP_PROFILES.parse({**(filters or {}), **by}), q=q, sort=sort,
                       limit=limit, offset=offset)


async def get_snmp_profile(scope: Scope, profile_id: int) -> dict[str, Any]:
    _snmp_read(scope)
    return await one(SNMP_PROFILES, scope, profile_id, PROFILE_NOT_FOUND)


async def _stored(profile_id: int) -> dict[str, Any]:
    """What `validate` needs of the stored profile: its version and protocols, and which secrets it holds."""
    held = ", ".join(f"{f.sealed} IS NOT NULL AS {f.name}" for f in SNMP_PROFILE.secrets)
    rows = await fetch(f"SELECT version, auth_protocol, priv_protocol, {held} FROM snmp_profile "  # noqa: S608
                       "WHERE id = {}", profile_id)
    return rows[0]


def _values(f: Input, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The checked values to write: secrets sealed, and what the profile's version does not use emptied
    (switching versions drops the other version's protocols and secrets; no privacy, no privacy key)."""
    assert SNMP_PROFILE.validate is not None
    SNMP_PROFILE.validate(f, stored)
    values = SNMP_PROFILE.sealed_values(f.values, secrets.encrypt)
    version = f.value("version") or SnmpVersion.V3.value
    if version == SnmpVersion.V2C.value:
        values.update(v3_user="", auth_protocol="", priv_protocol="", auth_key_encrypted=None,
                      priv_key_encrypted=None)
        return values
    values["community_encrypted"] = None
    same = stored.get("version") == version
    if not (f.value("priv_protocol") if f.given("priv_protocol") or same else None):
        values["priv_key_encrypted"] = None
    return values


async def create_snmp_profile(scope: Scope, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    f = SNMP_PROFILE.check(data, None, skip=("county_id",))
    f.reference("county_id")
    values = _values(f, {})
    county_id = county_for_write(scope, f)
    f.raise_if_invalid()
    values["county_id"] = county_id
    return await create_row(scope, "snmp_profile", values, get_snmp_profile)


async def update_snmp_profile(scope: Scope, profile_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    scope.require(Permission.INVENTORY_WRITE)
    before = await get_snmp_profile(scope, profile_id)
    f = SNMP_PROFILE.check(data, before, skip=("county_id",))
    values = _values(f, await _stored(profile_id))
    if "county_id" in data and data["county_id"] not in (None, "", before["county_id"], str(before["county_id"])):
        f.error("county_id", N_("a profile stays in its county"))
    f.raise_if_invalid()
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
        raise Forbidden(ROLE_MAY_NOT)
    rows = await fetch(f"SELECT id, county_id, {_CREDENTIAL_COLUMNS} FROM snmp_profile WHERE id = {{}}",  # noqa: S608
                       profile_id)
    if not rows:
        raise NotFound(PROFILE_NOT_FOUND)
    row = rows[0]
    scope.check(row["county_id"], missing=PROFILE_NOT_FOUND)
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
