"""LDAP / Active Directory: find a person with the service account, check their password by binding
as them, read their groups — always over LDAPS or StartTLS with the certificate checked.

ldap3 is synchronous; the async wrappers run each exchange in a worker thread. Nothing here knows
about users or roles: it answers who a login is in the directory (`DirectoryPerson`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

DEFAULT_USER_FILTER = "(&(objectClass=user)(sAMAccountName={login}))"
DEFAULT_GROUP_FILTER = "(&(objectClass=group)(member={dn}))"
ACCOUNT_DISABLED = 0x2  # AD's userAccountControl flag ACCOUNTDISABLE
MAX_LOGIN = 256
TIMEOUT = 10  # seconds for connecting and for each answer


class DirectoryError(Exception):
    """The directory cannot be reached or refused the service account (a configuration problem)."""


@dataclass(frozen=True)
class LdapConfig:
    """How to reach and read one directory (the provider's settings; the password is decrypted)."""

    url: str  # ldaps://host[:port] or ldap://host[:port] with start_tls
    bind_dn: str
    bind_password: str
    base_dn: str
    start_tls: bool = True
    ca_pem: str = ""  # PEM of the CA that signed the server's certificate; empty: the system's CAs
    user_filter: str = DEFAULT_USER_FILTER
    group_base_dn: str = ""  # empty: base_dn
    group_filter: str = DEFAULT_GROUP_FILTER
    mail_attribute: str = "mail"
    name_attribute: str = "displayName"


@dataclass(frozen=True)
class DirectoryPerson:
    dn: str
    login: str
    email: str
    name: str
    disabled: bool
    groups: tuple[str, ...]


def user_filter(template: str, login: str) -> str:
    """The search filter for a login, with the login escaped (RFC 4515) so it matches literally."""
    return template.replace("{login}", escape_filter_chars(login))


class VerifiedTls(ldap3.Tls):
    """TLS with the standard library's own checks: the certificate chain and the host name, in the
    handshake. ldap3 2.9 turns the context's host-name check off and calls `ssl.match_hostname`
    instead, which Python deprecated (3.7) and removed (3.12)."""

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        context = ssl.create_default_context(cadata=self.ca_certs_data or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        connection.socket = context.wrap_socket(connection.socket, server_hostname=connection.server.host,
                                                do_handshake_on_connect=do_handshake)


def _server(config: LdapConfig) -> ldap3.Server:
    tls = VerifiedTls(validate=ssl.CERT_REQUIRED, ca_certs_data=config.ca_pem or None)
    return ldap3.Server(config.url, use_ssl=config.url.lower().startswith("ldaps://"), tls=tls,
                        get_info=ldap3.NONE, connect_timeout=TIMEOUT)


def _bind(config: LdapConfig, dn: str, password: str) -> ldap3.Connection | None:
    """A connection bound as `dn`, or None when the directory refuses the credentials."""
    connection = ldap3.Connection(_server(config), user=dn, password=password, receive_timeout=TIMEOUT,
                                  raise_exceptions=False, read_only=True)
    try:
        connection.open()
        if config.start_tls and not config.url.lower().startswith("ldaps://") and not connection.start_tls():
            raise DirectoryError(f"StartTLS failed: {connection.result.get('description')}")
        if connection.bind():
            return connection
    except LDAPException as exc:
        _close(connection)
        raise DirectoryError(f"{type(exc).__name__}: {exc}") from None
    _close(connection)
    return None


def _close(connection: ldap3.Connection) -> None:
    """Unbind; a connection whose TLS handshake failed has no socket left to say goodbye on."""
    with contextlib.suppress(LDAPException):
        connection.unbind()


def _service(config: LdapConfig) -> ldap3.Connection:
    connection = _bind(config, config.bind_dn, config.bind_password)
    if connection is None:
        raise DirectoryError("the directory refused the service account (bind DN or password wrong)")
    return connection


def _first(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def _search(connection: ldap3.Connection, base: str, search_filter: str,
            attributes: list[str]) -> list[dict[str, Any]]:
    ok = connection.search(base, search_filter, search_scope=ldap3.SUBTREE, attributes=attributes, size_limit=1000)
    if not ok and connection.result.get("result") not in (0, 32):  # 32: no such object (empty base)
        raise DirectoryError(f"search failed: {connection.result.get('description')}")
    return [{"dn": r["dn"], **r["attributes"]} for r in connection.response or [] if r.get("type") == "searchResEntry"]


def _person(config: LdapConfig, connection: ldap3.Connection, login: str) -> DirectoryPerson | None:
    login = login.strip()
    if not login or len(login) > MAX_LOGIN:
        return None
    found = _search(connection, config.base_dn, user_filter(config.user_filter, login),
                    [config.mail_attribute, config.name_attribute, "cn", "userAccountControl"])
    if len(found) != 1:  # none, or an ambiguous filter: never guess which person is meant
        return None
    entry = found[0]
    control = entry.get("userAccountControl")
    control = control[0] if isinstance(control, list) and control else control
    groups = _search(connection, config.group_base_dn or config.base_dn,
                     config.group_filter.replace("{dn}", escape_filter_chars(entry["dn"])), ["cn"])
    return DirectoryPerson(
        dn=entry["dn"], login=login.lower(), email=_first(entry, config.mail_attribute).strip().lower(),
        name=_first(entry, config.name_attribute) or _first(entry, "cn") or login,
        disabled=bool(int(control or 0) & ACCOUNT_DISABLED), groups=tuple(g["dn"] for g in groups))


def _find(config: LdapConfig, login: str) -> DirectoryPerson | None:
    connection = _service(config)
    try:
        return _person(config, connection, login)
    finally:
        _close(connection)


def _authenticate(config: LdapConfig, login: str, password: str) -> DirectoryPerson | None:
    # An empty password would be an unauthenticated bind, which directories accept: never a login.
    if not password:
        return None
    person = _find(config, login)
    if person is None or person.disabled:  # a disabled account is refused without trying its password
        return person
    connection = _bind(config, person.dn, password)
    if connection is None:
        return None
    _close(connection)
    return person


async def find_person(config: LdapConfig, login: str) -> DirectoryPerson | None:
    """The person with this login (found by the service account), or None."""
    return await asyncio.to_thread(_find, config, login)


async def authenticate(config: LdapConfig, login: str, password: str) -> DirectoryPerson | None:
    """The person when the directory accepts their password (a bind as them), else None.

    A disabled account is returned with `disabled` set, its password untried; the caller refuses it.
    """
    return await asyncio.to_thread(_authenticate, config, login, password)


async def check_connection(config: LdapConfig) -> None:
    """Bind with the service account once; raises DirectoryError with the reason when that fails."""
    await asyncio.to_thread(lambda: _close(_service(config)))
