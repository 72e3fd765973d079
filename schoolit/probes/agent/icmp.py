"""ICMP echo for the devices that did not answer SNMP: is the device down, or only its SNMP agent?

After a sweep, the agent pings every target whose SNMP poll got no answer (not those that refused the
credentials: they answered). A device that answers the echo is up and its SNMP agent is off or
misconfigured; one that does not is down (or unreachable). The sample carries the answer as
`icmp_reachable`, and the server's outage ticket says which of the two it is.

No external program and no privileges where the system allows unprivileged ping sockets (Linux's
`SOCK_DGRAM`/`IPPROTO_ICMP`, allowed for the groups in `net.ipv4.ping_group_range`; Debian allows
every group). Without them, a raw socket serves when the process may open one (root, CAP_NET_RAW);
otherwise nobody is pinged and `icmp_reachable` stays unknown (None), with one line saying why.

One socket, every echo sent at once, answers matched by (address, sequence number), one deadline for
all: pinging a thousand dead devices costs the timeout once, not a thousand times.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import struct
import time
from collections.abc import Iterable

ECHO_REQUEST, ECHO_REPLY = 8, 0
DEFAULT_TIMEOUT = 1.0
_PAYLOAD = b"schoolit-probe"


class PingUnavailable(Exception):
    """This process may open no ICMP socket (no ping group, no CAP_NET_RAW)."""


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _echo(ident: int, sequence: int) -> bytes:
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, sequence)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, _checksum(header + _PAYLOAD), ident, sequence) + _PAYLOAD


def _open() -> tuple[socket.socket, bool]:
    """An ICMP socket and whether it is raw (answers come with their IP header)."""
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False
    except OSError as unprivileged:
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True
        except OSError:
            raise PingUnavailable(
                f"no ICMP socket: {unprivileged.strerror} (allow the probe's group in net.ipv4.ping_group_range)"
            ) from None


def _parse(packet: bytes, raw: bool, ident: int) -> int | None:
    """The sequence number of an echo reply meant for us, else None."""
    if raw:
        packet = packet[(packet[0] & 0x0F) * 4 :] if packet else b""
    if len(packet) < 8:
        return None
    kind, _, _, reply_ident, sequence = struct.unpack("!BBHHH", packet[:8])
    # A ping socket (not raw) gets only its own replies, with the ident the kernel chose.
    if kind != ECHO_REPLY or (raw and reply_ident != ident):
        return None
    return int(sequence)


async def ping_all(hosts: Iterable[str], *, wait: float = DEFAULT_TIMEOUT) -> dict[str, bool]:
    """Whether each IPv4 address answered an ICMP echo within `wait` seconds (two echoes each).

    Raises `PingUnavailable` when no ICMP socket can be opened. A host name or an address the kernel
    cannot send to counts as not answering."""
    addresses = sorted(set(hosts))
    answered = dict.fromkeys(addresses, False)
    if not addresses:
        return answered
    sock, raw = _open()
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    ident = os.getpid() & 0xFFFF
    sequences: dict[int, str] = {}
    counter = itertools.count(1)
    waiting = set(addresses)
    done = loop.create_future()

    def readable() -> None:
        while True:
            try:
                packet, (source, _) = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error queued for the socket: the next read goes on
            sequence = _parse(packet, raw, ident)
            host = sequences.get(sequence) if sequence is not None else None
            if host is not None and host == source and host in waiting:
                answered[host] = True
                waiting.discard(host)
                if not waiting and not done.done():
                    done.set_result(None)

    def send(host: str) -> None:
        sequence = next(counter) & 0xFFFF
        sequences[sequence] = host
        with contextlib.suppress(OSError):  # no route, not an IPv4 address: no answer will come
            sock.sendto(_echo(ident, sequence), (host, 0))

    loop.add_reader(sock.fileno(), readable)
    try:
        deadline = time.monotonic() + wait
        for attempt in range(2):  # a second echo halfway: one lost packet is not a dead device
            for host in sorted(waiting):
                send(host)
            pause = (wait / 2) if attempt == 0 else deadline - time.monotonic()
            try:
                await asyncio.wait_for(asyncio.shield(done), timeout=max(pause, 0))
            except TimeoutError:
                continue
            break
    finally:
        loop.remove_reader(sock.fileno())
        sock.close()
    return answered
