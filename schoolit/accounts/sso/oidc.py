"""OpenID Connect: the authorization code flow with PKCE, against a provider found by discovery.

`begin` makes the authorization address and the secrets the callback needs (state, nonce, PKCE
verifier; they travel in a sealed cookie, see the controllers). `complete` redeems the code at the
token endpoint and accepts the ID token only when its signature verifies against the provider's
published keys (asymmetric algorithms only), and issuer, audience, expiry and nonce are right; the
userinfo answer is merged when its subject is the ID token's. Nothing here knows about users.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

TIMEOUT = 10.0  # seconds for each request to the provider
LEEWAY = 60  # seconds of clock difference tolerated in exp/iat
# Only signatures a provider's public keys can verify: never "none", never a shared-secret HMAC.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_DISCOVERY_TTL = 600.0
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


class ProviderUnavailable(Exception):
    """The provider cannot be reached or answers nonsense (a configuration or network problem)."""


class Rejected(Exception):
    """The provider's answer failed a check: the sign-in must not go on."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    groups_claim: str = "groups"


@dataclass(frozen=True)
class Pending:
    """What the callback needs to finish a sign-in it started (kept sealed in a cookie)."""

    state: str
    nonce: str
    verifier: str


async def _get_json(client: httpx.AsyncClient, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = await client.get(url, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from None
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return body


async def discover(config: OidcConfig) -> dict[str, Any]:
    """The provider's metadata (cached for ten minutes), checked: its issuer must be the configured one."""
    cached = _discovered.get(config.issuer)
    if cached and time.monotonic() - cached[0] < _DISCOVERY_TTL:
        return cached[1]
    async with httpx.AsyncClient() as client:
        metadata = await _get_json(client, f"{config.issuer}/.well-known/openid-configuration")
    try:
        OpenIDProviderMetadata(metadata).validate()
    except Exception as exc:  # authlib raises ValueError subclasses of its own for each rule
        raise ProviderUnavailable(f"discovery document rejected: {exc}") from None
    if metadata.get("issuer") != config.issuer:
        raise ProviderUnavailable(f"discovery names issuer {metadata.get('issuer')!r}, not {config.issuer!r}")
    _discovered[config.issuer] = (time.monotonic(), metadata)
    return metadata


def begin(config: OidcConfig, metadata: dict[str, Any], redirect_uri: str) -> tuple[str, Pending]:
    """The address to send the browser to, and what the callback will need."""
    pending = Pending(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64))
    query = urlencode({
        "response_type": "code", "client_id": config.client_id, "redirect_uri": redirect_uri,
        "scope": config.scopes, "state": pending.state, "nonce": pending.nonce,
        "code_challenge": create_s256_code_challenge(pending.verifier), "code_challenge_method": "S256",
    })
    endpoint = metadata["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", pending


def _check_id_token(config: OidcConfig, metadata: dict[str, Any], id_token: str, keys: dict[str, Any],
                    nonce: str) -> dict[str, Any]:
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=list(ALGORITHMS))  # type: ignore[arg-type]
    except (JoseError, ValueError) as exc:
        raise Rejected(f"ID token signature: {exc}") from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY, iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": config.client_id}, sub={"essential": True}, exp={"essential": True},
        iat={"essential": True}, nonce={"essential": True, "value": nonce})
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise Rejected(f"ID token claims: {exc}") from None
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != config.client_id:
        raise Rejected("ID token for several audiences without us as authorized party")
    return claims


async def complete(config: OidcConfig, metadata: dict[str, Any], redirect_uri: str, code: str,
                   pending: Pending) -> dict[str, Any]:
    """Redeem the code; the checked claims of the ID token, with the userinfo claims merged in."""
    async with httpx.AsyncClient() as client:
        try:
            response = await client.post(metadata["token_endpoint"], timeout=TIMEOUT, data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": pending.verifier,
            }, auth=(config.client_id, config.client_secret))
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"token endpoint: {exc}") from None
        if response.status_code != 200:
            # A code that was used, expired or does not fit the verifier: the provider says no.
            raise Rejected(f"token endpoint answered {response.status_code}: {response.text[:200]}")
        try:
            tokens = response.json()
        except ValueError:
            raise ProviderUnavailable("token endpoint: not JSON") from None
        if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
            raise Rejected("no ID token in the token response")
        keys = await _get_json(client, metadata["jwks_uri"])
        claims = _check_id_token(config, metadata, tokens["id_token"], keys, pending.nonce)
        if metadata.get("userinfo_endpoint") and isinstance(tokens.get("access_token"), str):
            info = await _get_json(client, metadata["userinfo_endpoint"],
                                   headers={"authorization": f"Bearer {tokens['access_token']}"})
            if info.get("sub") != claims["sub"]:
                raise Rejected("userinfo is about another subject")
            claims = {**info, **claims}
    return claims


def groups_of(claims: dict[str, Any], claim: str) -> tuple[str, ...]:
    """The groups a claim lists (a list of strings, or one string)."""
    value = claims.get(claim)
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()
