"""SNMP profiles: the description (`schoolit.describe`) of the credentials a probe polls
with, and the rule that a profile the probe cannot poll is refused.

The community and the v3 pass phrases are secrets (`Field.sealed`): written through the API and the
form, stored encrypted (`schoolit.inventory.secrets`), never read back; an empty one keeps the stored.
Profiles are the network team's working material: only those who maintain the inventory see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schoolit import rules
from schoolit.describe.kinds import Choice, Reference, Secret, Text
from schoolit.describe.resource import Check, Field, Resource, row_fields, shown
from schoolit.inventory.choices import SNMP_VERSION_LABELS, SnmpAuthProtocol, SnmpPrivProtocol, SnmpVersion
from schoolit.kernel.i18n import N_

MIN_SNMP_SECRET = 8  # RFC 3414: v3 passphrases have at least 8 characters; communities should too
_SECRET = Secret(MIN_SNMP_SECRET, 200, N_("at least 8 characters"))


def validate(check: Check, stored: Mapping[str, Any]) -> None:
    """A profile the probe cannot poll is refused (what `schoolit.snmp_protocols` and the agent's
    target take): SNMP v2c needs a community; v3 a user, an authentication protocol and its key
    (BSI NET.2.1: authentication is required), and the privacy key of a privacy protocol it names.

    `stored`: the profile as stored (empty on creation): its `version`, protocols and, under each
    secret's name, whether that secret is stored. Switching versions drops the other version's
    protocols and secrets, so they count only while the version stays."""
    version = check.value("version") or SnmpVersion.V3.value
    kept = stored if stored.get("version") == version else {}

    def chosen(name: str) -> Any:  # a protocol given now, or kept
        return check.value(name) if check.given(name) else kept.get(name)

    def held(name: str) -> bool:  # a secret given now, or kept
        return bool(check.value(name)) or bool(kept.get(name))

    def needs(name: str) -> None:
        if not check.has_error(name):
            check.error(name, rules.REQUIRED)

    if version == SnmpVersion.V2C.value:
        if not held("community"):
            needs("community")
        return
    if not check.value("v3_user"):
        needs("v3_user")
    if not chosen("auth_protocol"):
        needs("auth_protocol")
    if not held("auth_key"):
        needs("auth_key")
    if chosen("priv_protocol") and not held("priv_key"):
        needs("priv_key")


_ROW = {f.name: f for f in row_fields("p")}

SNMP_PROFILE = Resource(
    name="snmp_profile", plural="snmp-profiles", table="snmp_profile", alias="p", label=N_("SNMP profile"),
    source="snmp_profile p JOIN county_directory c ON c.id = p.county_id", county="p.county_id", school=None,
    default_sort="name", validate=validate,
    fields=(
        _ROW["id"],
        Field("name", Text(120), N_("Name"), required=True, sort="name", search=True),
        Field("county_id", Reference(), N_("County"), required=True, widget="select", filter="eq",
              select="p.county_id"),
        shown("county_name", str, "c.name", N_("County"), sort="county"),
        Field("version", Choice(SnmpVersion, SNMP_VERSION_LABELS), N_("Version"), required=True, filter="eq",
              sort="version"),
        Field("community", _SECRET, N_("Community (v2c)"), sealed="community_encrypted"),
        shown("has_community", bool, "(p.community_encrypted IS NOT NULL)"),
        Field("v3_user", Text(64), N_("User (v3)"), search=True),
        Field("auth_protocol", Choice(SnmpAuthProtocol, {p: p.value for p in SnmpAuthProtocol}, blank=""),
              N_("Authentication protocol (v3)")),
        Field("auth_key", _SECRET, N_("Authentication key (v3)"), sealed="auth_key_encrypted"),
        Field("priv_protocol", Choice(SnmpPrivProtocol, {p: p.value for p in SnmpPrivProtocol}, blank=""),
              N_("Privacy protocol (v3)")),
        Field("priv_key", _SECRET, N_("Privacy key (v3)"), sealed="priv_key_encrypted"),
        _ROW["created_at"],
        _ROW["updated_at"],
    ),
)
SNMP_PROFILES = SNMP_PROFILE.listing()
