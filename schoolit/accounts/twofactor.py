"""The second factor: TOTP (RFC 6238, `pyotp`) with ten one-time recovery codes.

A user enrols by scanning a QR code (or typing the secret) into an authenticator app and confirming
with a first code; only then does the factor count, and the recovery codes are shown once. The
secret is kept encrypted (`schoolit.encryption`) and never shown again after the enrolment. At
login, a user with a confirmed factor gives a code after the password; roles named in
REQUIRE_TOTP_ROLES must enrol first. Wrong codes count like wrong passwords (the same throttle).
An admin can reset a user's factor (audited); the user then enrols again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schoolit import rules
from schoolit.accounts import audit
from schoolit.accounts.scope import Scope
from schoolit.accounts.security import (
    new_recovery_codes,
    new_totp_secret,
    recovery_digest,
    totp_step,
    totp_uri,
)
from schoolit.accounts.services import USER_COLUMNS, now
from schoolit.accounts.sessions import CODE, ENROL, FULL, forgive_login_attempt, reserve_login_attempt
from schoolit.accounts.tables import RecoveryCode, User, WebSession
from schoolit.db import atomic
from schoolit.encryption import Sealer
from schoolit.errors import Conflict, FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.settings import get_settings
from schoolit.sql import fetch

_TOTP = Sealer(b"schoolit totp secrets", "a TOTP secret")
WRONG_CODE = N_("the code is wrong or was already used")
ALREADY_ENROLLED = N_("Two-factor login is already set up.")


async def login_stage(user: dict[str, Any]) -> str:
    """The stage a login reaches with the right password: `code` when the user has a second
    factor, `enrol` when their role requires one they do not have yet, else `full`."""
    row = await User.select(User.totp_confirmed_at).where(User.id == user["id"]).first()
    if row is not None and row["totp_confirmed_at"] is not None:
        return CODE
    if user["role"] in get_settings().require_totp_roles:
        return ENROL
    return FULL


async def status(user_id: int) -> dict[str, Any]:
    """Whether the user has a confirmed second factor, and how many recovery codes are left."""
    row = await User.select(User.totp_confirmed_at).where(User.id == user_id).first()
    left = await RecoveryCode.count().where((RecoveryCode.user_id == user_id) & RecoveryCode.used_at.is_null())
    return {"enrolled": bool(row and row["totp_confirmed_at"]), "recovery_codes_left": left}


@dataclass(frozen=True)
class Enrolment:
    secret: str  # shown in text next to the QR code, during the enrolment only
    uri: str  # otpauth:// URI, the QR code's content


async def start_enrolment(user: dict[str, Any]) -> Enrolment:
    """The pending (unconfirmed) secret of the user, made on first call: a reload of the enrolment
    page shows the same secret, so an app that scanned it keeps working."""
    row = await User.select(User.totp_secret_encrypted, User.totp_confirmed_at).where(User.id == user["id"]).first()
    if row is None:
        raise NotFound(rules.USER_NOT_FOUND)
    if row["totp_confirmed_at"] is not None:
        raise Conflict(ALREADY_ENROLLED)
    secret = _TOTP.decrypt(row["totp_secret_encrypted"])
    if secret is None:
        secret = new_totp_secret()
        await User.update({User.totp_secret_encrypted: _TOTP.encrypt(secret)}).where(
            (User.id == user["id"]) & User.totp_confirmed_at.is_null())
    return Enrolment(secret=secret, uri=totp_uri(secret, user["email"]))


async def confirm_enrolment(scope: Scope, user: dict[str, Any], code: str) -> list[str]:
    """Confirm the pending secret with a first code; returns the ten recovery codes (shown once)."""
    row = await User.select(User.totp_secret_encrypted, User.totp_confirmed_at).where(User.id == user["id"]).first()
    if row is None:
        raise NotFound(rules.USER_NOT_FOUND)
    if row["totp_confirmed_at"] is not None:
        raise Conflict(ALREADY_ENROLLED)
    secret = _TOTP.decrypt(row["totp_secret_encrypted"])
    step = totp_step(secret, code, after=None) if secret else None
    if step is None:
        raise ValidationFailed([FieldError("code", WRONG_CODE)])
    codes = new_recovery_codes()
    async with atomic():
        await User.update({User.totp_confirmed_at: now(), User.totp_last_step: step}).where(User.id == user["id"])
        await RecoveryCode.delete().where(RecoveryCode.user_id == user["id"])
        await RecoveryCode.insert(*(RecoveryCode(user_id=user["id"], code_hash=recovery_digest(c)) for c in codes))
        await audit.record(scope, "user.totp_enrol", object_type="user", object_id=user["id"],
                           county_id=user["county_id"])
    return codes


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    retry_after: int | None = None  # seconds, when throttled
    recovery_codes_left: int | None = None  # when a recovery code was used


async def check_login_code(scope: Scope, user: dict[str, Any], code: str) -> CodeCheck:
    """The second step of a login: a current TOTP code (each usable once) or an unused recovery
    code (then used up). Wrong codes are counted and throttled like wrong passwords."""
    attempt = await reserve_login_attempt(user["email"], scope.client_ip)
    if attempt.retry_after is not None:
        await audit.record(scope, "login.throttled", object_type="user", object_id=user["id"],
                           county_id=user["county_id"])
        return CodeCheck(ok=False, retry_after=attempt.retry_after)
    row = await User.select(User.totp_secret_encrypted, User.totp_last_step).where(
        (User.id == user["id"]) & User.totp_confirmed_at.is_not_null()).first()
    secret = _TOTP.decrypt(row["totp_secret_encrypted"]) if row else None
    step = totp_step(secret, code, after=row["totp_last_step"]) if secret and row else None
    if step is not None:
        # The step is stored only if it is later than the last one: two requests with one code race here.
        used = await fetch("UPDATE app_user SET totp_last_step = {} WHERE id = {} AND (totp_last_step IS NULL "
                           "OR totp_last_step < {}) RETURNING id", step, user["id"], step)
        if used:
            await forgive_login_attempt(attempt)
            await audit.record(scope, "login.second_factor", object_type="user", object_id=user["id"],
                               county_id=user["county_id"])
            return CodeCheck(ok=True)
    elif code.strip():
        used = await fetch("UPDATE recovery_code SET used_at = now() WHERE user_id = {} AND code_hash = {} "
                           "AND used_at IS NULL RETURNING id", user["id"], recovery_digest(code))
        if used:
            left = await RecoveryCode.count().where((RecoveryCode.user_id == user["id"])
                                                    & RecoveryCode.used_at.is_null())
            await forgive_login_attempt(attempt)
            await audit.record(scope, "login.recovery_code", object_type="user", object_id=user["id"],
                               county_id=user["county_id"], after={"recovery_codes_left": left})
            return CodeCheck(ok=True, recovery_codes_left=left)
    await audit.record(scope, "login.code_failure", object_type="user", object_id=user["id"],
                       county_id=user["county_id"])
    return CodeCheck(ok=False)


async def reset(scope: Scope, user_id: int) -> dict[str, Any]:
    """An admin resets a user's second factor (lost phone): secret and recovery codes are deleted,
    the user's sessions end, and the user enrols again (at the next login if their role requires it)."""
    scope.require(Permission.USERS_MANAGE)
    async with atomic():
        user = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
        if user is None:
            raise NotFound(rules.USER_NOT_FOUND)
        await User.update({User.totp_secret_encrypted: None, User.totp_confirmed_at: None, User.totp_last_step: None,
                           User.updated_at: now()}).where(User.id == user_id)
        await RecoveryCode.delete().where(RecoveryCode.user_id == user_id)
        await WebSession.delete().where(WebSession.user_id == user_id)
        await audit.record(scope, "user.totp_reset", object_type="user", object_id=user_id,
                           county_id=user["county_id"])
    return user
