"""Encryption at rest for SNMP secrets (communities, v3 keys), through `schoolit.encryption`.

Secrets are decrypted only where a probe needs them (the probe targets endpoint), never for the
API's inventory answers or pages.
"""

from __future__ import annotations

from schoolit.encryption import Sealer

_SNMP = Sealer(b"schoolit snmp secrets", "an SNMP secret")


def encrypt(plain: str | None) -> str | None:
    return _SNMP.encrypt(plain)


def decrypt(token: str | None) -> str | None:
    return _SNMP.decrypt(token)
