"""The OpenID provider of the single sign-on tests: the npm package `oidc-provider` run by Node.js.

`tests/sso/node/package.json` (and its lock file) name the package; `ensure_installed()` runs
`npm ci` there the first time (node_modules is git-ignored), so a fresh clone needs only Node.js and
the npm registry. `running_provider()` starts tests/sso/node/provider.mjs on a free loopback port with
the given clients and accounts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from schoolit.probes.simulators import stop_process
from tests.support import free_port

NODE_DIR = Path(__file__).with_name("node")
CLIENT_SECRET = "client-secret-for-tests"
# The clients schoolit's providers use: two honest ones and two whose answers an attacker has changed
# (see provider.mjs).
HONEST, SECOND, TAMPERED, WRONG_NONCE = "schoolit", "schoolit-portal", "schoolit-tampered", "schoolit-nonce"


def ensure_installed() -> None:
    """Install oidc-provider from the npm registry into tests/sso/node once (a lock file pins it)."""
    if (NODE_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: install Node.js (Debian packages nodejs and npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True,
                   timeout=300, capture_output=True)


def client(client_id: str, redirect_uri: str) -> dict[str, Any]:
    return {"client_id": client_id, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]}


def account(password: str, email: str, name: str, groups: list[str], **claims: Any) -> dict[str, Any]:
    return {"password": password, "claims": {"email": email, "email_verified": True, "name": name,
                                             "groups": groups, **claims}}


def set_claims(issuer: str, login: str, claims: dict[str, Any]) -> None:
    """Change an account's claims at the provider, as its administrator would."""
    response = httpx.post(f"{issuer}/test/accounts/{login}", content=json.dumps(claims), timeout=10)
    assert response.status_code == 204, response.text


@contextmanager
def running_provider(clients: list[dict[str, Any]], accounts: dict[str, dict[str, Any]],
                     log: Path) -> Iterator[str]:
    """oidc-provider on a free loopback port; yields its issuer URL."""
    ensure_installed()
    port = free_port()
    env = {**os.environ, "OIDC_TEST_CONFIG": json.dumps({"port": port, "clients": clients, "accounts": accounts})}
    node = shutil.which("node") or "node"
    with open(log, "wb") as output:
        proc = subprocess.Popen([node, str(NODE_DIR / "provider.mjs")], env=env, stdout=output,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"oidc-provider exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("oidc-provider did not listen within 30 s") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
