"""IMAP mailboxes of the inbound mail channel: kept by admins (`/admin/mailboxes`), one per support
arrangement or county, and the connection to them with `aioimaplib`.

The password is encrypted at rest with `schoolit.encryption` (a key of its own purpose, like the SNMP
secrets), write-only in the form (an empty field keeps the stored one) and never logged. TLS modes:
`tls` (IMAPS, implicit TLS, usually port 993), `starttls` (port 143, upgraded before login; aioimaplib
has no STARTTLS of its own, so the transport is upgraded here with `loop.start_tls`), and `off`
(plain text: only for a server on the same host). Certificates are verified against the system's
trust store (`SSL_CERT_FILE` names another).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aioimaplib

from schoolit import rules
from schoolit.accounts import audit, directory
from schoolit.accounts.scope import Scope
from schoolit.db import atomic
from schoolit.encryption import Sealer
from schoolit.errors import FieldError, NotFound, ValidationFailed
from schoolit.kernel.access import Permission
from schoolit.kernel.i18n import N_
from schoolit.sql import fetch

_PASSWORDS = Sealer(b"schoolit imap passwords", "an IMAP password")
TLS_MODES = {"tls": N_("TLS (IMAPS)"), "starttls": N_("STARTTLS"), "off": N_("none (same host only)")}
TIMEOUT_SECONDS = 30.0
NOT_A_FOLDER = N_("a folder name without quotes or wildcards")
COLUMNS = ("id, name, arrangement_id, county_id, host, port, tls, username, folder, done_folder, active, "
           "last_fetch_at, last_error, created_at")


_INSERT = ("INSERT INTO mailbox (name, arrangement_id, county_id, host, port, tls, username, password, folder, "  # noqa: S608
           "done_folder, active) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING " + COLUMNS)


MAILBOX_NOT_FOUND = N_("mailbox not found")


class MailboxError(Exception):
    """The mailbox cannot be reached, refused the login or the folder (the text says which)."""


# What reading a mailbox may raise besides MailboxError: the connection lost or stalled mid-way.
LOST = (OSError, TimeoutError, aioimaplib.AioImapException)


@dataclass(frozen=True)
class MailboxInput:
    name: str
    owner: str  # "arrangement:<id>" or "county:<id>"
    host: str
    port: int
    tls: str
    username: str
    password: str  # "" keeps the stored one
    folder: str = "INBOX"
    done_folder: str = ""
    active: bool = True


def _folder_ok(name: str) -> bool:
    return 0 < len(name) <= 200 and not any(ch in name for ch in '"\\\r\n\t*%')


async def _owner(owner: str, errors: list[FieldError]) -> tuple[int | None, int | None]:
    kind, _sep, number = owner.partition(":")
    if number.isdigit():
        if kind == "arrangement" and await directory.arrangement(int(number)) is not None:
            return int(number), None
        if kind == "county" and await directory.counties_by_id([int(number)]):
            return None, int(number)
    errors.append(FieldError("owner", N_("choose an arrangement or a county")))
    return None, None


async def _validated(data: MailboxInput, *, new: bool) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    rules.one_to(errors, "name", data.name, 120)
    host = data.host.strip()
    if not host or len(host) > 253 or any(ch.isspace() or ch in "/:@" for ch in host):
        errors.append(FieldError("host", N_("a host name or address")))
    if not 1 <= data.port <= 65535:
        errors.append(FieldError("port", N_("must be between 1 and 65535")))
    if data.tls not in TLS_MODES:
        errors.append(FieldError("tls", N_("unknown TLS mode")))
    rules.one_to(errors, "username", data.username, 254)
    if new and not data.password:
        errors.append(FieldError("password", rules.NOT_EMPTY))
    for name, folder, required in (("folder", data.folder, True), ("done_folder", data.done_folder, False)):
        if (required or folder.strip()) and not _folder_ok(folder.strip()):
            errors.append(FieldError(name, NOT_A_FOLDER))
    arrangement_id, county_id = await _owner(data.owner, errors)
    values = {"name": data.name.strip(), "arrangement_id": arrangement_id, "county_id": county_id, "host": host,
              "port": data.port, "tls": data.tls, "username": data.username.strip(), "folder": data.folder.strip(),
              "done_folder": data.done_folder.strip(), "active": data.active}
    return values, errors


async def create_mailbox(scope: Scope, data: MailboxInput) -> dict[str, Any]:
    scope.require(Permission.USERS_MANAGE)
    values, errors = await _validated(data, new=True)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        rows = await fetch(
            _INSERT,
            *[values[k] for k in ("name", "arrangement_id", "county_id", "host", "port", "tls", "username")],
            _PASSWORDS.encrypt(data.password), values["folder"], values["done_folder"], values["active"])
        await audit.record(scope, "mailbox.create", object_type="mailbox", object_id=rows[0]["id"], after=values)
    return rows[0]


async def update_mailbox(scope: Scope, mailbox_id: int, data: MailboxInput) -> dict[str, Any]:
    """Change a mailbox; an empty password keeps the stored one."""
    scope.require(Permission.USERS_MANAGE)
    values, errors = await _validated(data, new=False)
    if errors:
        raise ValidationFailed(errors)
    async with atomic():
        before = await get_mailbox(scope, mailbox_id)
        changes = dict(values)
        if data.password:
            changes["password"] = _PASSWORDS.encrypt(data.password)
        assignments = ", ".join(f"{column} = {{}}" for column in changes)
        rows = await fetch(f"UPDATE mailbox SET {assignments} WHERE id = {{}} RETURNING {COLUMNS}",  # noqa: S608 (our column names)
                           *changes.values(), mailbox_id)
        await audit.record(scope, "mailbox.update", object_type="mailbox", object_id=mailbox_id,
                           before={k: before[k] for k in values},
                           after={**values, "password_changed": bool(data.password)})
    return rows[0]


async def delete_mailbox(scope: Scope, mailbox_id: int) -> None:
    scope.require(Permission.USERS_MANAGE)
    async with atomic():
        before = await get_mailbox(scope, mailbox_id)
        await fetch("DELETE FROM mailbox WHERE id = {}", mailbox_id)
        await audit.record(scope, "mailbox.delete", object_type="mailbox", object_id=mailbox_id,
                           before={k: before[k] for k in ("name", "host", "username")})


async def get_mailbox(scope: Scope, mailbox_id: int) -> dict[str, Any]:
    scope.require(Permission.USERS_MANAGE)
    rows = await fetch(f"SELECT {COLUMNS} FROM mailbox WHERE id = {{}}", mailbox_id)  # noqa: S608 (fixed columns)
    if not rows:
        raise NotFound(MAILBOX_NOT_FOUND)
    return rows[0]


async def list_mailboxes(scope: Scope) -> list[dict[str, Any]]:
    """Every mailbox (never its password) with its owner's name and its triage count."""
    scope.require(Permission.USERS_MANAGE)
    rows = await fetch(f"SELECT {', '.join('m.' + c.strip() for c in COLUMNS.split(','))}, "  # noqa: S608 (fixed columns)
                       "(SELECT count(*) FROM inbound_mail i WHERE i.mailbox_id = m.id AND i.outcome = 'triage') "
                       "AS waiting FROM mailbox m ORDER BY m.name, m.id")
    owners = await owner_choices()
    names = dict(owners)
    return [{**row, "owner": owner_key(row), "owner_name": names.get(owner_key(row), "")} for row in rows]


def owner_key(row: dict[str, Any]) -> str:
    return f"arrangement:{row['arrangement_id']}" if row["arrangement_id"] else f"county:{row['county_id']}"


async def owner_choices() -> list[tuple[str, str]]:
    """(owner key, label) of every arrangement with members and every county (the form's choices)."""
    choices = [(f"arrangement:{a['id']}", a["name"]) for a in await directory.arrangements_with_members()]
    counties = await directory.counties(Scope.system("mailboxes"))
    return choices + [(f"county:{c['id']}", c["name"]) for c in counties]


async def county_ids(mailbox: dict[str, Any]) -> frozenset[int]:
    """The counties whose schools a mailbox's mails may belong to."""
    if mailbox["arrangement_id"]:
        return frozenset(c["id"] for c in await directory.arrangement_members(mailbox["arrangement_id"]))
    return frozenset({mailbox["county_id"]})


async def active_mailboxes() -> list[dict[str, Any]]:
    """The mailboxes to fetch from, with their passwords decrypted (the fetch job only)."""
    rows = await fetch(f"SELECT {COLUMNS}, password FROM mailbox WHERE active ORDER BY id")  # noqa: S608 (fixed columns)
    return [{**row, "password": _PASSWORDS.decrypt(row["password"]) or ""} for row in rows]


async def record_fetch(mailbox_id: int, error: str) -> None:
    await fetch("UPDATE mailbox SET last_fetch_at = now(), last_error = {} WHERE id = {}", error[:500], mailbox_id)


# --- the IMAP connection ------------------------------------------------------------------------------


def ok(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        text = b" ".join(line for line in response.lines if isinstance(line, bytes)).decode(errors="replace")
        raise MailboxError(f"{what}: {text[:200]}")
    return response


async def _starttls(client: aioimaplib.IMAP4, host: str, context: ssl.SSLContext) -> None:
    protocol = client.protocol
    await protocol.capability()
    if "STARTTLS" not in protocol.capabilities:
        raise MailboxError("the server offers no STARTTLS")
    ok(await protocol.execute(aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)), "STARTTLS")
    loop = asyncio.get_running_loop()
    transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=host)
    if transport is None:
        raise MailboxError("STARTTLS: the connection was closed")
    protocol.transport = transport
    await protocol.capability()  # capabilities before TLS must not be trusted (RFC 3501 6.2.1)


@contextlib.asynccontextmanager
async def connected(mailbox: dict[str, Any], *, select: bool = True) -> AsyncIterator[aioimaplib.IMAP4]:
    """A logged-in client with the mailbox's folder selected; logged out afterwards. MailboxError when
    the server cannot be reached, refuses the login or has no such folder."""
    host, port, mode = mailbox["host"], mailbox["port"], mailbox["tls"]
    context = ssl.create_default_context()
    client: aioimaplib.IMAP4 | None = None
    try:
        if mode == "tls":
            client = aioimaplib.IMAP4_SSL(host=host, port=port, timeout=TIMEOUT_SECONDS, ssl_context=context)
        else:
            client = aioimaplib.IMAP4(host=host, port=port, timeout=TIMEOUT_SECONDS)
        await client.wait_hello_from_server()
        if mode == "starttls":
            await _starttls(client, host, context)
    except (OSError, TimeoutError, ssl.SSLError, aioimaplib.AioImapException) as exc:
        if client is not None:
            _close(client)
        raise MailboxError(f"cannot connect to {host}:{port}: {type(exc).__name__}: {exc}"[:300]) from None
    try:
        try:
            ok(await client.login(mailbox["username"], mailbox["password"]), "login refused")
            if select:
                ok(await client.select(quoted(mailbox["folder"])), f"folder {mailbox['folder']!r}")
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise MailboxError(f"{type(exc).__name__}: {exc}"[:300]) from None
        yield client
    finally:
        with contextlib.suppress(Exception):  # the server may have closed the connection already
            await client.logout()
        _close(client)


def _close(client: aioimaplib.IMAP4) -> None:
    """Close the socket now: aioimaplib leaves it to the server's BYE, which may come after we are gone."""
    transport = getattr(client.protocol, "transport", None)
    if transport is not None and not transport.is_closing():
        transport.close()


def quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (names with quotes or backslashes are refused above)."""
    return f'"{folder}"'


async def test_connection(scope: Scope, mailbox_id: int) -> str:
    """Log in and open the folder; returns how many unread messages wait there, MailboxError otherwise."""
    scope.require(Permission.USERS_MANAGE)
    await get_mailbox(scope, mailbox_id)
    mailbox = next((m for m in await _with_password(mailbox_id)), None)
    if mailbox is None:
        raise NotFound(MAILBOX_NOT_FOUND)
    async with connected(mailbox) as client:
        response = ok(await client.uid_search("UNSEEN", charset=None), "search")
    return str(len(uids_of(response)))


async def _with_password(mailbox_id: int) -> list[dict[str, Any]]:
    rows = await fetch(f"SELECT {COLUMNS}, password FROM mailbox WHERE id = {{}}", mailbox_id)  # noqa: S608 (fixed columns)
    return [{**row, "password": _PASSWORDS.decrypt(row["password"]) or ""} for row in rows]


def uids_of(response: aioimaplib.Response) -> list[str]:
    """The UIDs of a UID SEARCH answer."""
    for line in response.lines:
        if isinstance(line, bytes) and line and line[:1].isdigit():
            return line.decode().split()
    return []
