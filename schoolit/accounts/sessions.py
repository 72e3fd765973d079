"""Logins and sessions: the password check with its throttle (failures counted before the secret is
checked), login sessions and their stages (a half-finished login with a second factor to give or to
enrol grants nothing), and the pruning of ended sessions and old failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from schoolit import throttle
from schoolit.accounts import audit
from schoolit.accounts.choices import ActorKind, Role
from schoolit.accounts.scope import Actor, Scope
from schoolit.accounts.security import digest, hash_password, needs_rehash, new_session_id, verify_password
from schoolit.accounts.services import (
    TOUCH_EVERY,
    USER_COLUMNS,
    normalise_email,
    now,
    scope_for_user,
    user_scope,
)
from schoolit.accounts.sso.choices import password_login_off_roles
from schoolit.accounts.tables import LoginFailure, User, WebSession
from schoolit.db import atomic
from schoolit.settings import get_settings
from schoolit.sql import fetch

LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5
SESSION_MAX_AGE = dt.timedelta(hours=12)
# Login stages of a session (WebSession.stage): only FULL grants access.
FULL, CODE, ENROL = "full", "code", "enrol"
PENDING_MAX_AGE = dt.timedelta(minutes=10)  # a half-finished login is given up after this


@dataclass(frozen=True)
class LoginResult:
    user: dict[str, Any] | None = None
    retry_after: int | None = None  # seconds, when throttled
    password_off: bool = False  # right password, but the role must sign in through its organisation


def anonymous_scope(email: str, *, client_ip: str | None, request_id: str = "") -> Scope:
    """The Scope of someone not (yet) logged in, as the audit log records login attempts."""
    return Scope(role=Role.SCHOOL, actor=Actor(ActorKind.ANONYMOUS, label=email), county_ids=frozenset(),
                 request_id=request_id, client_ip=client_ip)


@dataclass(frozen=True)
class LoginAttempt:
    failure_id: int | None = None  # the failure recorded before the check; forgiven when it succeeds
    retry_after: int | None = None  # seconds, when throttled


async def reserve_login_attempt(email: str, client_ip: str | None) -> LoginAttempt:
    """Count a login attempt as failed *before* its secret is checked, atomically per e-mail and
    address (schoolit.throttle), so that however many arrive at once at most LOGIN_MAX_FAILURES in
    the window are evaluated and the rest are refused; `forgive_login_attempt` takes back the failure
    of an attempt that succeeds."""
    same = (LoginFailure.email == email) & (
        LoginFailure.client_ip == client_ip if client_ip else LoginFailure.client_ip.is_null())
    moment = now()
    recorded: list[int] = []

    async def recent(since: dt.datetime) -> list[dt.datetime]:
        rows = await LoginFailure.select(LoginFailure.failed_at).where(
            same & (LoginFailure.failed_at > since)).order_by(LoginFailure.failed_at)
        return [row["failed_at"] for row in rows]

    async def record() -> None:
        rows = await LoginFailure.insert(
            LoginFailure(email=email, client_ip=client_ip, failed_at=moment)).returning(LoginFailure.id)
        recorded.append(rows[0]["id"])

    wait = await throttle.admit(f"login:{email}|{client_ip or ''}", limit=LOGIN_MAX_FAILURES, window=LOGIN_WINDOW,
                                moment=moment, recent=recent, record=record)
    return LoginAttempt(failure_id=recorded[0] if recorded else None, retry_after=wait)


async def forgive_login_attempt(attempt: LoginAttempt) -> None:
    if attempt.failure_id is not None:
        await LoginFailure.delete().where(LoginFailure.id == attempt.failure_id)


async def authenticate(email: str, password: str, *, client_ip: str | None, request_id: str = "") -> LoginResult:
    """Check a login. Unknown e-mail, wrong password and disabled user look and take the same."""
    email = normalise_email(email)[:254]
    anonymous = anonymous_scope(email, client_ip=client_ip, request_id=request_id)
    attempt = await reserve_login_attempt(email, client_ip)
    if attempt.retry_after is not None:
        await audit.record(anonymous, "login.throttled", object_type="user", actor_label=email)
        return LoginResult(retry_after=attempt.retry_after)
    user = await User.select(*USER_COLUMNS, User.password_hash).where(User.email == email).first()
    ok = verify_password(user["password_hash"] if user else None, password)
    if not ok or user is None or not user["active"]:
        await audit.record(anonymous, "login.failure", object_type="user",
                           object_id=user["id"] if user else "", county_id=user["county_id"] if user else None)
        return LoginResult()
    if Role(user["role"]) in password_login_off_roles(get_settings()):
        await forgive_login_attempt(attempt)
        await audit.record(anonymous, "login.refused", object_type="user", object_id=user["id"],
                           county_id=user["county_id"], after={"source": "local", "reason": "password_off"})
        return LoginResult(password_off=True)
    async with atomic():
        values: dict[Any, Any] = {User.last_login_at: now()}
        if needs_rehash(user["password_hash"]):
            values[User.password_hash] = hash_password(password)
        await User.update(values).where(User.id == user["id"])
        await forgive_login_attempt(attempt)
        scope = (await scope_for_user(user)).with_request(request_id, client_ip)
        await audit.record(scope, "login.success", object_type="user", object_id=user["id"],
                           county_id=user["county_id"], after={"source": "local"})
    user.pop("password_hash")
    return LoginResult(user=user)


async def start_session(user_id: int, *, client_ip: str | None, user_agent: str,
                        replaces: str | None = None, stage: str = FULL) -> str:
    """A new session (a new id at every login and at every step of it); the session it replaces,
    if any, ends. Only a session in the `full` stage grants the user's scope."""
    session_id, session_hash = new_session_id()
    async with atomic():
        if replaces:
            await WebSession.delete().where(WebSession.session_hash == digest(replaces))
        await WebSession.insert(WebSession(session_hash=session_hash, user_id=user_id, client_ip=client_ip,
                                           user_agent=user_agent[:300], stage=stage))
    return session_id


async def prune_sessions(idle: dt.timedelta) -> tuple[int, int]:
    """Delete ended sessions (idle or too old) and login failures past the throttling window."""
    moment = now()
    sessions = await WebSession.delete().where(
        (WebSession.last_seen_at < moment - idle) | (WebSession.created_at < moment - SESSION_MAX_AGE)
    ).returning(WebSession.id)
    failures = await LoginFailure.delete().where(LoginFailure.failed_at < moment - LOGIN_WINDOW).returning(
        LoginFailure.id)
    return len(sessions), len(failures)


async def end_session(session_id: str) -> None:
    await WebSession.delete().where(WebSession.session_hash == digest(session_id))


# The session, its user (if active) and the counties of the user's arrangement: one round trip per request.
_SESSION_USER = (
    "SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at AS session_seen_at, "  # noqa: S608
    + ", ".join(f"u.{column._meta.db_column_name}" for column in USER_COLUMNS)
    + ", ARRAY(SELECT m.county_id FROM arrangement_member m WHERE m.arrangement_id = u.arrangement_id) "
    "AS arrangement_county_ids FROM web_session s LEFT JOIN app_user u ON u.id = s.user_id AND u.active "
    "WHERE s.session_hash = {} AND s.stage = {}")
_USER_KEYS = tuple(column._meta.name for column in USER_COLUMNS)


async def _live_session(session_id: str, idle: dt.timedelta,
                        stage: str) -> tuple[dict[str, Any], frozenset[int]] | None:
    """The active user of a live session and the counties of the user's arrangement; idle or too old
    sessions end here."""
    rows = await fetch(_SESSION_USER, digest(session_id), stage)
    if not rows:
        return None
    row = rows[0]
    moment = now()
    max_age = SESSION_MAX_AGE if stage == FULL else PENDING_MAX_AGE
    if moment - row["session_seen_at"] > idle or moment - row["session_created_at"] > max_age:
        await WebSession.delete().where(WebSession.id == row["session_id"])
        return None
    if row["id"] is None:  # the user is gone or inactive
        return None
    if moment - row["session_seen_at"] > TOUCH_EVERY:
        await WebSession.update({WebSession.last_seen_at: moment}).where(WebSession.id == row["session_id"])
    return {key: row[key] for key in _USER_KEYS}, frozenset(row["arrangement_county_ids"])


async def user_for_session(session_id: str, idle: dt.timedelta, stage: str = FULL) -> dict[str, Any] | None:
    """The active user of a live session in this login stage, or None; idle or too old sessions end
    here. The authentication middleware asks for `full` sessions only (`session_caller`), so a
    half-finished login (password right, second factor not yet given or enrolled) grants no access at all."""
    live = await _live_session(session_id, idle, stage)
    return live[0] if live else None


async def session_caller(session_id: str, idle: dt.timedelta) -> tuple[dict[str, Any], Scope] | None:
    """The active user of a live `full` session and the user's Scope, or None."""
    live = await _live_session(session_id, idle, FULL)
    return (live[0], user_scope(*live)) if live else None
