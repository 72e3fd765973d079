"""PostgreSQL network column types for Piccolo: inet, cidr and macaddr.

Migrations import these classes by path, so they stay in this module. Values cross the edges as
strings normalised through netaddr (see `schoolit.net`); asyncpg hands inet/cidr back as
`ipaddress` objects, which `str()` turns into the same text.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns.base import Column


class _TextLike(Column):
    value_type = str
    sql_type = ""

    def __init__(self, default: str | None = None, **kwargs: Any) -> None:
        self._validate_default(default, (str, None))
        super().__init__(default=default, **kwargs)

    @property
    def column_type(self) -> str:
        return self.sql_type


class Inet(_TextLike):
    """A host address (IPv4 or IPv6), optionally with a netmask."""

    sql_type = "INET"


class Cidr(_TextLike):
    """A network prefix such as 10.20.0.0/24 (host bits must be zero)."""

    sql_type = "CIDR"


class MacAddr(_TextLike):
    """An EUI-48 MAC address."""

    sql_type = "MACADDR"
