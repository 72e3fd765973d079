"""The SNMPv3 (USM) protocols the probe polls with: one list for the inventory and the agent.

The inventory offers exactly these in an SNMP profile and refuses any other, so a profile that can be
entered can be polled. The agent imports this module too, so it must stay free of server imports (no
database, no web, no `schoolit.errors`): only names.

Names are Net-SNMP's (`snmpget -a SHA-256 -x AES-256`), which is how network people and device
manuals spell them; on the wire to the agent they travel without the hyphen (the older agents' names).
AES-192/AES-256 are the standard key extension (draft-blumenthal-aes-usm, Net-SNMP's `AES-256`); the
`-C` variants are Cisco's (draft-reeder-snmpv3-usm-3desede, Net-SNMP's `AES-256-C`), which Cisco IOS,
IOS XE and several others use. A device speaks one of the two; the profile says which.
"""

from __future__ import annotations

from typing import Literal, get_args

AuthProtocol = Literal["SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["AES", "AES192", "AES256", "AES192C", "AES256C"]

# Inventory (and `schoolit-probe check`) spelling -> wire spelling.
AUTH_PROTOCOLS: dict[str, AuthProtocol] = {
    "SHA": "SHA",
    "SHA-224": "SHA224",
    "SHA-256": "SHA256",
    "SHA-384": "SHA384",
    "SHA-512": "SHA512",
}
PRIV_PROTOCOLS: dict[str, PrivProtocol] = {
    "AES": "AES",
    "AES-192": "AES192",
    "AES-256": "AES256",
    "AES-192-C": "AES192C",
    "AES-256-C": "AES256C",
}

WIRE_AUTH_PROTOCOLS: tuple[str, ...] = get_args(AuthProtocol)
WIRE_PRIV_PROTOCOLS: tuple[str, ...] = get_args(PrivProtocol)


def security_level(auth_protocol: str | None, priv_protocol: str | None) -> str:
    """USM's security level of a credential set: noAuthNoPriv, authNoPriv or authPriv."""
    if not auth_protocol:
        return "noAuthNoPriv"
    return "authPriv" if priv_protocol else "authNoPriv"
