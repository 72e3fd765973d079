"""The probe's SNMP client: polls many devices concurrently from one pysnmp engine.

One `SnmpEngine` serves every request of a sweep (an engine per target would cost ~50 ms CPU and
~2 MiB each); it is created inside the running event loop and closed at the end. A semaphore bounds
the requests in flight. OIDs are numeric and `lookupMib=False`, so no MIB is ever loaded.

A dead device costs `timeout * (retries + 1)` seconds and holds one slot meanwhile; the defaults (1 s,
one retry) keep a sweep of thousands of targets with some dead ones well under a minute at the default
concurrency, while a busy access point over a school VPN still gets a second chance.

SNMPv3: pysnmp keeps USM users keyed by (user name, engine id) and re-keys or clones them under one
engine. Two devices with the same user name but different keys would therefore overwrite each other's
keys in flight. The poller gives each *distinct* credential set of one user name its own engine slot:
the common case (one user, one key set everywhere) still runs on the single engine, and only a
conflicting key set gets a second engine.

A closed port (agent off) or an unreachable host is known at once rather than after the timeout:
the UDP transport listens for ICMP errors (IP_RECVERR) and ends the requests to that address.

Tables are read with our own GETBULK loop (not `bulk_walk_cmd`, which retries forever on timeouts in
pysnmp 7.1.30): it stops on any error, at the end of each column's subtree, when the agent stops moving
forward, and after a fixed number of requests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NamedTuple, Self, TypeVar

import msgspec
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usmAesCfb128Protocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from schoolit.probes.profiles import PROFILES, SYSTEM_OIDS, uplink_oids
from schoolit.probes.schemas import ProbeTarget, Sample

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 1.0
DEFAULT_RETRIES = 1
MAX_REPETITIONS = 20
# 50 requests of 20 rows per column: far more radios or stations than one controller's share.
MAX_WALK_REQUESTS = 50

AUTH_PROTOCOLS = {
    "SHA": usmHMACSHAAuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA512": usmHMAC384SHA512AuthProtocol,
}
PRIV_PROTOCOLS = {"AES": usmAesCfb128Protocol}

_ABSENT = (NoSuchObject, NoSuchInstance, EndOfMibView)
_T = TypeVar("_T")


class PollResult(msgspec.Struct, kw_only=True):
    """A poll's sample plus what identifies the device (shown by `check`, not sent to the server)."""

    target: ProbeTarget
    sample: Sample
    sys_name: str | None = None
    sys_object_id: str | None = None


class _NoMibCompiler:
    """Stands in for pysmi's compiler: numeric OIDs never need a MIB compiled.

    With pysmi installed (snmpsim needs it in development), pysnmp would otherwise build pysmi's
    parser on the first request, about one second of CPU per process, for nothing.
    """

    def compile(self, *names: str, **options: Any) -> dict[str, str]:
        return dict.fromkeys(names, "missing")


class _UdpTarget(UdpTransportTarget):
    """pysnmp's UDP target without the resolver thread for IP literals.

    Management addresses come from the inventory as IPs; pysnmp would still send each one through
    getaddrinfo in the default executor, seconds of thread hand-offs for a sweep of thousands.
    """

    async def _resolve_address(self, transportAddr: tuple[Any, ...]) -> tuple[str, int]:
        try:
            return str(ipaddress.IPv4Address(transportAddr[0])), int(transportAddr[1])
        except ValueError:
            return await super()._resolve_address(transportAddr)


class _Session(NamedTuple):
    engine: SnmpEngine
    auth: CommunityData | UsmUserData
    transport: UdpTransportTarget


class SnmpRequestError(Exception):
    """The agent did not answer, or answered with an error status."""


Address = tuple[str, int]
IP_RECVERR = getattr(socket, "IP_RECVERR", 11)  # Linux; the socket module names it from Python 3.12


class _IcmpAwareUdpTransport(udp.UdpAsyncioTransport):
    """pysnmp's UDP transport that also hears ICMP errors (Linux IP_RECVERR).

    pysnmp sends every request from one unconnected socket, so the kernel would drop the "port
    unreachable" of a device whose agent is off, and the request would wait its full timeout and
    retries. With IP_RECVERR the error is queued on the socket together with the destination it was
    for; `on_unreachable` gets that address and the poller ends the requests to it at once.
    """

    def __init__(self, on_unreachable: Callable[[Address, str], None]) -> None:
        super().__init__()
        self._on_unreachable = on_unreachable
        self._errors: socket.socket | None = None

    def connection_made(self, transport: asyncio.DatagramTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sys.platform == "linux":
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
            # A duplicate of the descriptor (same socket, same error queue): asyncio's wrapper does
            # not allow recvmsg on the socket it hands out.
            self._errors = socket.fromfd(sock.fileno(), sock.family, sock.type)
        super().connection_made(transport)

    def error_received(self, exc: Exception) -> None:
        self._drain_errors()

    def _drain_errors(self) -> None:
        """Report every queued ICMP error by destination; this also clears the socket's error."""
        while self._errors is not None:
            try:
                _, ancillary, _, address = self._errors.recvmsg(1, 1024, socket.MSG_ERRQUEUE)
            except OSError:  # BlockingIOError: the queue is empty
                return
            # struct sock_extended_err starts with the errno (ECONNREFUSED, EHOSTUNREACH, ...).
            reason = "unreachable"
            for level, kind, data in ancillary:
                if level == socket.IPPROTO_IP and kind == IP_RECVERR and len(data) >= 4:
                    reason = os.strerror(int.from_bytes(data[:4], sys.byteorder))
            if isinstance(address, tuple) and len(address) >= 2:
                self._on_unreachable((str(address[0]), int(address[1])), reason)

    def send_message(self, outgoingMessage: bytes, transportAddress: Any) -> None:
        # With IP_RECVERR a queued ICMP error makes the *next* send fail, whatever its destination,
        # and asyncio would drop that datagram. So: report queued errors first, then send; if an
        # error arrived in between, the send fails, the errors are reported and the send repeated.
        if self.transport is None or self._errors is None:
            super().send_message(outgoingMessage, transportAddress)
            return
        address = self.normalize_address(transportAddress)
        for _ in range(3):
            self._drain_errors()
            try:
                self._errors.sendto(outgoingMessage, address)
                return
            except (BlockingIOError, InterruptedError):
                break  # the socket buffer is full: let asyncio queue the datagram
            except OSError:
                continue
        self.transport.sendto(outgoingMessage, address)

    def close_transport(self) -> None:
        if self._errors is not None:
            self._errors.close()
            self._errors = None
        super().close_transport()


def _oid_tuple(oid: str) -> tuple[int, ...]:
    return tuple(int(arc) for arc in oid.split("."))


def _number(value: Any) -> int | None:
    if value is None or isinstance(value, _ABSENT):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, _ABSENT):
        return None
    return bytes(value.asOctets()).decode("utf-8", "replace")


def _oid_text(value: Any) -> str | None:
    if value is None or isinstance(value, _ABSENT):
        return None
    return str(value.prettyPrint())


class SnmpPoller:
    """Polls `ProbeTarget`s; use as `async with SnmpPoller(...) as poller` inside the event loop."""

    def __init__(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.timeout = timeout
        self.retries = retries
        self._slots = asyncio.Semaphore(concurrency)
        self._engines: dict[int, SnmpEngine] = {}
        self._v3_key_sets: dict[str, list[tuple[str, ...]]] = {}
        self._unreachable: dict[Address, set[asyncio.Future[str]]] = {}

    async def __aenter__(self) -> Self:
        self._engine(0)  # created here, inside the running loop, before any request
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for engine in self._engines.values():
            engine.close_dispatcher()
        self._engines.clear()

    @property
    def engine_count(self) -> int:
        return len(self._engines)

    def _engine(self, slot: int) -> SnmpEngine:
        if slot not in self._engines:
            engine = SnmpEngine()
            builder = engine.get_mib_builder()
            sources = builder.get_mib_sources()
            builder.set_mib_compiler(_NoMibCompiler(), sources[0].full_path())
            builder.set_mib_sources(*sources)  # undo the source set_mib_compiler adds
            config.add_transport(
                engine, udp.DOMAIN_NAME, _IcmpAwareUdpTransport(self._device_unreachable).open_client_mode()
            )
            self._engines[slot] = engine
        return self._engines[slot]

    def _credentials(self, target: ProbeTarget) -> tuple[SnmpEngine, CommunityData | UsmUserData]:
        if target.snmp_version == "2c":
            # v2c is what many school access points still offer; the server decides, v3 is preferred.
            return self._engine(0), CommunityData(target.community or "", mpModel=1)  # noqa: S508
        user = target.v3_user or ""
        key_set = (
            target.auth_protocol or "",
            target.auth_key or "",
            target.priv_protocol or "",
            target.priv_key or "",
        )
        known = self._v3_key_sets.setdefault(user, [])
        if key_set not in known:
            known.append(key_set)
        auth = UsmUserData(
            user,
            authKey=target.auth_key,
            privKey=target.priv_key,
            authProtocol=AUTH_PROTOCOLS[target.auth_protocol or "SHA"],
            privProtocol=PRIV_PROTOCOLS[target.priv_protocol or "AES"],
        )
        return self._engine(known.index(key_set)), auth

    def _device_unreachable(self, address: Address, reason: str) -> None:
        for waiter in self._unreachable.get(address, ()):
            if not waiter.done():
                waiter.set_result(reason)

    async def _unless_unreachable(self, address: Address, request: Awaitable[_T]) -> _T:
        """Await an SNMP request, or give up on it as soon as an ICMP error names its destination."""
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        waiters = self._unreachable.setdefault(address, set())
        waiters.add(waiter)
        task = asyncio.ensure_future(request)
        try:
            await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                return task.result()
            raise SnmpRequestError(f"unreachable: {waiter.result()}")
        finally:
            task.cancel()  # pysnmp ignores the answer (or timeout) of a cancelled request
            waiters.discard(waiter)
            if not waiters:
                del self._unreachable[address]

    async def poll_all(
        self, targets: Iterable[ProbeTarget], on_result: Callable[[PollResult], None] | None = None
    ) -> list[PollResult]:
        """Poll every target concurrently; results come back in target order.

        Every target's address is registered with the engine before the first request: pysnmp
        rebuilds its address-to-community map on each answer that follows a change of its target
        table, which made a sweep quadratic in the number of targets (22 ms CPU per target at 2,000).
        """
        targets = list(targets)
        sessions = await asyncio.gather(*(self._session(target) for target in targets), return_exceptions=True)

        async def one(target: ProbeTarget, session: _Session | BaseException) -> PollResult:
            result = await self.poll(target, session)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(one(t, s) for t, s in zip(targets, sessions, strict=True))))

    async def _session(self, target: ProbeTarget) -> _Session:
        """Engine, credentials and resolved transport of a target, registered with the engine."""
        engine, auth = self._credentials(target)
        transport = await _UdpTarget.create((target.host, target.port), timeout=self.timeout, retries=self.retries)
        LCD.configure(engine, auth, transport, b"")
        return _Session(engine, auth, transport)

    async def poll(self, target: ProbeTarget, session: _Session | BaseException | None = None) -> PollResult:
        """Poll one target; never raises for device trouble, the sample says what went wrong."""
        async with self._slots:
            polled_at = datetime.now(UTC)
            try:
                if session is None:
                    session = await self._session(target)
                if isinstance(session, BaseException):
                    raise session
                return await self._poll(target, session, polled_at)
            except Exception as exc:  # a bad host name, a transport error: this target failed
                sample = Sample(
                    asset_kind=target.asset_kind,
                    asset_id=target.asset_id,
                    polled_at=polled_at,
                    reachable=False,
                    error=f"{type(exc).__name__}: {exc}",
                )
                return PollResult(target=target, sample=sample)

    async def _poll(self, target: ProbeTarget, session: _Session, polled_at: datetime) -> PollResult:
        engine, auth, transport = session
        oids = list(SYSTEM_OIDS)
        if target.asset_kind == "uplink" and target.if_index is not None:
            oids += uplink_oids(target.if_index)
        started = time.perf_counter()
        try:
            values = await self._get(engine, auth, transport, oids)
        except SnmpRequestError as exc:
            sample = Sample(
                asset_kind=target.asset_kind,
                asset_id=target.asset_id,
                polled_at=polled_at,
                reachable=False,
                error=str(exc),
            )
            return PollResult(target=target, sample=sample)
        response_ms = round((time.perf_counter() - started) * 1000, 2)

        figures: dict[str, Any] = {"uptime_ticks": _number(values[0])}
        error: str | None = None
        if target.asset_kind == "uplink":
            figures.update(
                in_octets=_number(values[3]),
                out_octets=_number(values[4]),
                if_speed_mbps=_number(values[5]),
                oper_status=_number(values[6]),
            )
        else:
            profile = PROFILES[target.profile]
            try:
                table = await self._walk(engine, auth, transport, profile.columns, target.row_index)
            except SnmpRequestError as exc:
                error = f"walk: {exc}"
            else:
                if profile.clients is not None:
                    figures["clients"] = profile.clients.fold(table)
                if profile.radio is not None:
                    figures["radio_up"] = profile.radio.fold(table)
        sample = Sample(
            asset_kind=target.asset_kind,
            asset_id=target.asset_id,
            polled_at=polled_at,
            reachable=True,
            response_ms=response_ms,
            error=error,
            **figures,
        )
        return PollResult(target=target, sample=sample, sys_name=_text(values[1]), sys_object_id=_oid_text(values[2]))

    async def _get(
        self, engine: SnmpEngine, auth: Any, transport: UdpTransportTarget, oids: Sequence[str]
    ) -> list[Any]:
        error_indication, error_status, error_index, var_binds = await self._unless_unreachable(
            transport.transport_address,
            get_cmd(
                engine,
                auth,
                transport,
                ContextData(),
                *(ObjectType(ObjectIdentity(oid)) for oid in oids),
                lookupMib=False,
            ),
        )
        if error_indication:
            raise SnmpRequestError(str(error_indication))
        if error_status:
            raise SnmpRequestError(f"{error_status.prettyPrint()} at {error_index}")
        return [value for _, value in var_binds]

    async def _walk(
        self,
        engine: SnmpEngine,
        auth: Any,
        transport: UdpTransportTarget,
        columns: Sequence[str],
        row_index: str,
    ) -> dict[str, dict[str, int]]:
        """Walk columns side by side with GETBULK: `{column: {row index: value}}`.

        With `row_index`, only the rows below that index prefix are read.
        """
        table: dict[str, dict[str, int]] = {column: {} for column in columns}
        roots = {column: _oid_tuple(f"{column}.{row_index}" if row_index else column) for column in columns}
        column_lengths = {column: len(_oid_tuple(column)) for column in columns}
        cursors = dict(roots)
        active = list(columns)
        for _ in range(MAX_WALK_REQUESTS):
            if not active:
                return table
            error_indication, error_status, error_index, var_binds = await self._unless_unreachable(
                transport.transport_address,
                bulk_cmd(
                    engine,
                    auth,
                    transport,
                    ContextData(),
                    0,
                    MAX_REPETITIONS,
                    *(ObjectType(ObjectIdentity(cursors[column])) for column in active),
                    lookupMib=False,
                ),
            )
            if error_indication:
                raise SnmpRequestError(str(error_indication))
            if error_status:
                raise SnmpRequestError(f"{error_status.prettyPrint()} at {error_index}")
            finished: set[str] = set()
            for position, (name, value) in enumerate(var_binds):
                column = active[position % len(active)]
                if column in finished:
                    continue
                oid = tuple(name)
                root = roots[column]
                # Leaving the subtree, the end of the MIB, or an agent that does not move forward.
                if isinstance(value, EndOfMibView) or oid[: len(root)] != root or oid <= cursors[column]:
                    finished.add(column)
                    continue
                cursors[column] = oid
                number = _number(value)
                if number is not None:
                    table[column][".".join(map(str, oid[column_lengths[column] :]))] = number
            if not var_binds:
                return table
            active = [column for column in active if column not in finished]
        if active:
            raise SnmpRequestError(f"table longer than {MAX_WALK_REQUESTS * MAX_REPETITIONS} rows")
        return table
