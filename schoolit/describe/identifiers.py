"""Validation of network identifiers at the edges (netaddr), shared by services, forms and imports.

Each function returns the normalised text to store, or raises ValueError with a field-free reason
(an English message id, marked for translation: pages show it in German); callers attach the field
name (FieldError).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import netaddr

from schoolit.kernel.i18n import N_

SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,79}$")
SCHOOL_NUMBER = re.compile(r"^[0-9]{5}$")
PUPIL_REF = re.compile(r"^[A-Za-z0-9._/-]{1,40}$")
DIGIT = re.compile(r"[0-9]")
MAC_DIGITS = re.compile(r"[0-9A-Fa-f]{12}")
NOT_A_MAC = N_("not a MAC address (e.g. 00:1a:2b:3c:4d:5e)")
FIVE_DIGITS = N_("five digits")
NOT_A_WEB_ADDRESS = N_("not a valid address (http:// or https://)")
HOST_NAME = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)(?:\.(?!-)[\w-]{1,63}(?<!-))*\.?$")


def mac_address(value: str) -> str:
    """An EUI-48 MAC in any common notation -> aa:bb:cc:dd:ee:ff.

    All twelve hex digits must be there: netaddr alone would read "3C:22:FB" as 00:3c:00:22:00:fb.
    """
    text = value.strip()
    if not MAC_DIGITS.fullmatch(re.sub(r"[:.\-]", "", text)):
        raise ValueError(NOT_A_MAC)
    try:
        eui = netaddr.EUI(text, version=48)
    except (netaddr.AddrFormatError, TypeError, ValueError):
        raise ValueError(NOT_A_MAC) from None
    eui.dialect = netaddr.mac_unix_expanded
    return str(eui).lower()


def ip_address(value: str) -> str:
    """A single IPv4 or IPv6 host address (no prefix length)."""
    text = value.strip()
    if "/" in text:
        raise ValueError(N_("an address without prefix length"))
    try:
        return str(netaddr.IPAddress(text))
    except (netaddr.AddrFormatError, ValueError):
        raise ValueError(N_("not an IP address")) from None


def ip_prefix(value: str) -> str:
    """A network prefix such as 10.20.0.0/24; host bits must be zero."""
    text = value.strip()
    if "/" not in text:
        raise ValueError(N_("a prefix with length, e.g. 10.20.0.0/24"))
    try:
        network = netaddr.IPNetwork(text)
    except (netaddr.AddrFormatError, ValueError):
        raise ValueError(N_("not a network prefix")) from None
    if network.ip != network.network:
        raise ValueError(N_("host bits are set: give the network address, e.g. 10.20.0.0/24"))
    return str(network.cidr)


def serial_number(value: str) -> str:
    """Serial numbers compare upper-case and without surrounding blanks (scanners add them)."""
    text = value.strip().upper()
    if not SERIAL.match(text):
        raise ValueError(N_("2–80 letters, digits, '.', '_', '/' or '-'"))
    return text


def school_number(value: str) -> str:
    text = value.strip()
    if not SCHOOL_NUMBER.match(text):
        raise ValueError(FIVE_DIGITS)
    return text


def pupil_reference(value: str) -> str:
    """The school's pseudonym for a pupil; names and spaces are refused (no personal data here).

    A pseudonym the school issues carries a number ("7b-14", "S2026-0042"); a reference without any
    digit ("Max.Mustermann") looks like a name and is refused.
    """
    text = value.strip()
    if not PUPIL_REF.match(text) or not DIGIT.search(text):
        raise ValueError(N_("a pseudonymous reference with a number, e.g. 7b-14 (letters, digits, '.', '_', '/', "
                            "'-'; no spaces, no names)"))
    return text


def postal_code(value: str) -> str:
    """A German postcode: five digits."""
    text = value.strip()
    if not (len(text) == 5 and text.isdigit()):
        raise ValueError(FIVE_DIGITS)
    return text


def web_address(value: str) -> str:
    """A web page's address: http or https with a host (a name, an IPv4 or a bracketed IPv6 address),
    no blanks or control characters. Anything else ("foo", "www.schule.de", "javascript:…") is refused,
    so a stored address is always safe to show as a link."""
    text = value.strip()
    if not text or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(NOT_A_WEB_ADDRESS)
    try:
        parts = urlsplit(text)
        host, _port = parts.hostname, parts.port  # a port that is not a number raises ValueError
    except ValueError:
        raise ValueError(NOT_A_WEB_ADDRESS) from None
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username is not None:
        raise ValueError(NOT_A_WEB_ADDRESS)
    if not HOST_NAME.match(host) and not _is_ip(host):
        raise ValueError(NOT_A_WEB_ADDRESS)
    return text


def is_web_address(value: Any) -> bool:
    """Whether `value` may be shown as a link: what `web_address` accepts, and nothing else."""
    try:
        return isinstance(value, str) and bool(web_address(value))
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        netaddr.IPAddress(host)
    except (netaddr.AddrFormatError, ValueError):
        return False
    return True


def in_network(address: Any, prefix: Any) -> bool:
    """Whether a host address lies inside a network prefix (a school's management network); no prefix
    puts no bound. The one place the containment is decided, for the API, the forms and the import."""
    return prefix is None or netaddr.IPAddress(str(address).split("/")[0]) in netaddr.IPNetwork(str(prefix))
