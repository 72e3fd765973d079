"""The real sign-in servers the single sign-on tests talk to, each started once per test session on
first use: a directory (slapd) and an OpenID provider (oidc-provider on Node.js)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schoolit.settings import Settings
from tests.sso import oidc
from tests.sso.slapd import Directory, running_directory


@pytest.fixture(scope="session")
def directory() -> Iterator[Directory]:
    with tempfile.TemporaryDirectory(prefix="schoolit-slapd-") as workdir, running_directory(Path(workdir)) as server:
        yield server


@pytest.fixture(scope="session")
def identity_provider(settings: Settings) -> Iterator[str]:
    """oidc-provider with four clients (two honest, tampered ID token, wrong nonce), one per schoolit
    provider name, registered with the redirect addresses of this app; yields its issuer."""
    clients = [oidc.client(client_id, f"{settings.public_url}/sso/oidc/{name}/callback")
               for name, client_id in OIDC_CLIENTS.items()]
    accounts = {login: oidc.account(**values) for login, values in OIDC_ACCOUNTS.items()}
    with tempfile.TemporaryDirectory(prefix="schoolit-oidc-") as workdir, oidc.running_provider(
            clients, accounts, Path(workdir) / "provider.log") as issuer:
        yield issuer


# schoolit's provider names and the client each uses at the identity provider.
OIDC_CLIENTS = {"county": oidc.HONEST, "landesportal": oidc.SECOND, "tampered": oidc.TAMPERED,
                "nonce": oidc.WRONG_NONCE}
OIDC_PASSWORD = "IdP-Passwort-2026"
OIDC_ACCOUNTS: dict[str, dict[str, Any]] = {
    "lehrerin": {"password": OIDC_PASSWORD, "email": "lehrerin@schule.test.example", "name": "Lea Lehrerin",
                 "groups": ["schule-41001-it"]},
    "support": {"password": OIDC_PASSWORD, "email": "support@portal.test.example", "name": "Paul Portal",
                "groups": ["staff", "Schul-IT-Support"]},
    "ohnegruppe": {"password": OIDC_PASSWORD, "email": "ohne@portal.test.example", "name": "Olga Ohne",
                   "groups": ["staff"]},
    "wechsel": {"password": OIDC_PASSWORD, "email": "wechsel@portal.test.example", "name": "Werner Wechsel",
                "groups": ["Schul-IT-Support"]},
    "unbestaetigt": {"password": OIDC_PASSWORD, "email": "admin@test.example", "name": "Mallory",
                     "groups": ["Schul-IT-Support"], "email_verified": False},
}
