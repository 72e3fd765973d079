"""Encryption at rest for SNMP secrets (communities, v3 keys) with Fernet (`cryptography`).

The key comes from settings: ENCRYPTION_KEY when set (a Fernet key), otherwise derived from
SECRET_KEY with HKDF, so a demo needs no extra setting. Secrets are decrypted only where a probe
needs them (the probe targets endpoint), never for the API's inventory answers or pages.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from schoolit.errors import ConfigError
from schoolit.settings import get_settings


@cache
def _fernet(secret_key: str, encryption_key: str | None) -> Fernet:
    if encryption_key:
        try:
            return Fernet(encryption_key.encode())
        except ValueError:
            raise ConfigError("ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes)") from None
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"schoolit snmp secrets").derive(
        secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _current() -> Fernet:
    settings = get_settings()
    return _fernet(settings.require_secret_key(), settings.extra.get("ENCRYPTION_KEY") or None)


def encrypt(plain: str | None) -> str | None:
    if plain is None or plain == "":
        return None
    return _current().encrypt(plain.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ConfigError("an SNMP secret cannot be decrypted: ENCRYPTION_KEY or SECRET_KEY has changed") from None
