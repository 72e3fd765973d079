"""ICMP errors on the probe's unconnected UDP sockets (Linux IP_RECVERR), for both SNMP paths.

The probe sends every request from one unconnected socket, so by default the kernel drops the
"port unreachable" of a device whose agent is off, and the request waits its full timeout and retries.
With IP_RECVERR the error is queued on the socket together with the destination it was for;
`IcmpErrors` reads that queue and names the refusing address, so the caller ends its requests at once.

A queued error also makes the *next* send on the socket fail, whatever its destination, and asyncio
would drop that datagram; `IcmpErrors.send` therefore sends itself and, when the send fails that way,
drains the queue and sends again. (Draining before every send instead cost a failing system call
per request.)
Used by the v2c client (`schoolit.probes.agent.v2c`) and by the v3 path's pysnmp transport.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
from collections.abc import Callable

Address = tuple[str, int]
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)  # Linux; the socket module names it from Python 3.12


class IcmpErrors:
    """The ICMP error queue of one asyncio UDP socket; `on_unreachable(address, reason)` hears each error."""

    def __init__(self, transport: asyncio.DatagramTransport, on_unreachable: Callable[[Address, str], None]) -> None:
        self._transport = transport
        self._on_unreachable = on_unreachable
        self._socket: socket.socket | None = None
        sock = transport.get_extra_info("socket")
        if sock is not None and sys.platform == "linux":
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
            # A duplicate of the descriptor (same socket, same error queue): asyncio's wrapper does
            # not allow recvmsg on the socket it hands out.
            self._socket = socket.fromfd(sock.fileno(), sock.family, sock.type)

    def drain(self) -> None:
        """Report every queued ICMP error by destination; this also clears the socket's error."""
        while self._socket is not None:
            try:
                _, ancillary, _, address = self._socket.recvmsg(1, 1024, socket.MSG_ERRQUEUE)
            except OSError:  # BlockingIOError: the queue is empty
                return
            # struct sock_extended_err starts with the errno (ECONNREFUSED, EHOSTUNREACH, ...).
            reason = "unreachable"
            for level, kind, data in ancillary:
                if level == socket.IPPROTO_IP and kind == IP_RECVERR and len(data) >= 4:
                    reason = os.strerror(int.from_bytes(data[:4], sys.byteorder))
            if isinstance(address, tuple) and len(address) >= 2:
                self._on_unreachable((str(address[0]), int(address[1])), reason)

    def send(self, data: bytes, address: Address) -> None:
        """Send one datagram. A queued ICMP error fails the send (the datagram is not sent) and is
        cleared by it; then the queue is reported and the send repeated."""
        if self._socket is None:
            self._transport.sendto(data, address)
            return
        for _ in range(3):
            try:
                self._socket.sendto(data, address)
                return
            except (BlockingIOError, InterruptedError):
                break  # the socket buffer is full: let asyncio queue the datagram
            except OSError:
                self.drain()
        self._transport.sendto(data, address)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def ipv4_literal(host: str, port: int) -> Address | None:
    """`(host, port)` when host is an IPv4 literal (no resolver needed), else None."""
    try:
        return str(ipaddress.IPv4Address(host)), int(port)
    except ValueError:
        return None
