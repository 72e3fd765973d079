"""Secrets of the accounts domain: argon2id password hashes, random tokens and their digests, TOTP codes
and recovery codes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults are the RFC 9106 "low memory" profile: argon2id, t=3, m=64 MiB, p=4.
_hasher = PasswordHasher()

TOKEN_PREFIX = "sit_"  # noqa: S105 (marks our tokens in secret scanners and logs)
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches. With no hash (unknown user) a dummy hash is checked anyway,
    so an unknown e-mail costs the same time as a wrong password."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A password to hand out once (about 100 bits, no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (tokens, session ids): fast is fine, they can't be guessed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A new API token: (the token shown once, its recognisable prefix, its digest)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[:12], digest(token)


def new_session_id() -> tuple[str, str]:
    """A new session id and its digest."""
    session_id = secrets.token_urlsafe(32)
    return session_id, digest(session_id)


# --- second factor (TOTP, RFC 6238) and recovery codes ------------------------------------------

TOTP_ISSUER = "schoolit"
RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alike characters


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The time step a 6-digit code belongs to (now, or one step either side for clock drift), or
    None when it matches none or a step not later than `after` (a code is used once)."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(dt.datetime.now(dt.UTC))
    for step in (current, current - 1, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten one-time codes (about 78 bits each), shown once; only their digests are stored."""
    return ["-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(4))
            for _ in range(RECOVERY_CODES)]


def recovery_digest(code: str) -> str:
    """Digest of a recovery code as typed: blanks and case do not matter."""
    return digest("".join(code.split()).lower())
