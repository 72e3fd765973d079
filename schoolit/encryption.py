"""Encryption at rest with Fernet (`cryptography`), for secrets the application must read back:
SNMP communities and v3 keys (inventory), TOTP secrets (accounts).

The key comes from settings: ENCRYPTION_KEY when set (a Fernet key), otherwise derived from
SECRET_KEY with HKDF, one key per purpose (the HKDF info), so a demo needs no extra setting.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from schoolit.errors import ConfigError
from schoolit.settings import get_settings


@cache
def _fernet(secret_key: str, encryption_key: str | None, purpose: bytes) -> Fernet:
    if encryption_key:
        try:
            return Fernet(encryption_key.encode())
        except ValueError:
            raise ConfigError("ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes)") from None
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


@dataclass(frozen=True)
class Sealer:
    """Encrypts and decrypts the secrets of one purpose."""

    purpose: bytes  # the HKDF info the key is derived with
    what: str  # names the secret in the error when it cannot be decrypted

    def _current(self) -> Fernet:
        settings = get_settings()
        return _fernet(settings.require_secret_key(), settings.encryption_key, self.purpose)

    def encrypt(self, plain: str | None) -> str | None:
        if plain is None or plain == "":
            return None
        return self._current().encrypt(plain.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._current().decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(f"{self.what} cannot be decrypted: ENCRYPTION_KEY or SECRET_KEY has changed") from None
