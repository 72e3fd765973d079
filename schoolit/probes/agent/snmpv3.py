"""SNMPv3 through pysnmp's v3 architecture (engine, USM, target tables), at every security level.

Every protocol of `schoolit.snmp_protocols` maps to its pysnmp implementation here (a unit test holds the
two lists together). Net-SNMP's `AES-192`/`AES-256` are pysnmp's *Blumenthal* classes; pysnmp's plain
`usmAesCfb256Protocol` is the Cisco (Reeder) key extension, Net-SNMP's `AES-256-C`.

Imported only when a sweep has v3 targets: the v3 machinery costs ~0.3 s of imports and ~5 ms CPU
per target and poll, which v2c targets avoid through `schoolit.probes.agent.v2c`.

One `SnmpEngine` serves every v3 request (an engine per target would cost ~50 ms CPU and ~2 MiB
each); it is created inside the running event loop and closed at the end. OIDs are numeric and
`lookupMib=False`, so no MIB is ever loaded.

pysnmp keeps USM users keyed by (user name, engine id) and re-keys or clones them under one engine.
Two devices with the same user name but different keys would therefore overwrite each other's keys in
flight. Each *distinct* credential set of one user name gets its own engine: the common case (one user,
one key set everywhere) still runs on a single engine, and only a conflicting key set gets a second.

Every target is registered with its engine before the first request (`V3Sessions.channel`, gathered
by the poller): pysnmp rebuilds its address-to-credentials map on each answer that follows a change of
its target table, which made a sweep quadratic in the number of targets.

A closed port is known at once: the engine's UDP transport hears ICMP errors (`schoolit.probes.agent.udp`)
and the requests to the refusing address end immediately.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.hlapi.v3arch.asyncio import (
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usmAesBlumenthalCfb192Protocol,
    usmAesBlumenthalCfb256Protocol,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind

from schoolit.probes.agent.udp import Address, IcmpErrors, ipv4_literal
from schoolit.probes.agent.v2c import SnmpCredentialsRejected, SnmpRequestError, VarBinds
from schoolit.probes.agent.wire import ProbeTarget

# Wire names (schoolit.snmp_protocols) -> pysnmp; "" is the security level without it.
AUTH_PROTOCOLS: dict[str, tuple[int, ...]] = {
    "": usmNoAuthProtocol,
    "SHA": usmHMACSHAAuthProtocol,
    "SHA224": usmHMAC128SHA224AuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA384": usmHMAC256SHA384AuthProtocol,
    "SHA512": usmHMAC384SHA512AuthProtocol,
}
PRIV_PROTOCOLS: dict[str, tuple[int, ...]] = {
    "": usmNoPrivProtocol,
    "AES": usmAesCfb128Protocol,
    "AES192": usmAesBlumenthalCfb192Protocol,
    "AES256": usmAesBlumenthalCfb256Protocol,
    "AES192C": usmAesCfb192Protocol,
    "AES256C": usmAesCfb256Protocol,
}

# The agent's USM reports (RFC 3414 usmStats*) and local checks that mean "these credentials are not
# accepted" rather than "no answer"; and the PDU errors that mean access is denied (RFC 3416).
CREDENTIAL_ERRORS = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.UnsupportedAuthProtocol,
    errind.NoAuthentication,
)
ACCESS_DENIED = {6, 16}  # noAccess, authorizationError

_T = TypeVar("_T")


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
        literal = ipv4_literal(str(transportAddr[0]), int(transportAddr[1]))
        return literal if literal is not None else await super()._resolve_address(transportAddr)


class _IcmpAwareUdpTransport(udp.UdpAsyncioTransport):
    """pysnmp's UDP transport that also hears ICMP errors and sends through `IcmpErrors`."""

    def __init__(self, on_unreachable: Callable[[Address, str], None]) -> None:
        super().__init__()
        self._on_unreachable = on_unreachable
        self._icmp: IcmpErrors | None = None

    def connection_made(self, transport: asyncio.DatagramTransport) -> None:
        self._icmp = IcmpErrors(transport, self._on_unreachable)
        super().connection_made(transport)

    def error_received(self, exc: Exception) -> None:
        if self._icmp is not None:
            self._icmp.drain()

    def send_message(self, outgoingMessage: bytes, transportAddress: Any) -> None:
        if self.transport is None or self._icmp is None:
            super().send_message(outgoingMessage, transportAddress)
            return
        self._icmp.send(outgoingMessage, self.normalize_address(transportAddress))

    def close_transport(self) -> None:
        if self._icmp is not None:
            self._icmp.close()
            self._icmp = None
        super().close_transport()


class V3Channel(NamedTuple):
    """One registered v3 target: GET and GETBULK as the poller's channel."""

    sessions: V3Sessions
    engine: SnmpEngine
    auth: UsmUserData
    transport: UdpTransportTarget

    async def get(self, oids: Sequence[str]) -> VarBinds:
        return await self._run(
            get_cmd(self.engine, self.auth, self.transport, ContextData(), *_object_types(oids), lookupMib=False)
        )

    async def bulk(self, oids: Sequence[str], max_repetitions: int) -> VarBinds:
        return await self._run(
            bulk_cmd(
                self.engine,
                self.auth,
                self.transport,
                ContextData(),
                0,
                max_repetitions,
                *_object_types(oids),
                lookupMib=False,
            )
        )

    async def _run(self, request: Awaitable[tuple[Any, Any, Any, Any]]) -> VarBinds:
        error_indication, error_status, error_index, var_binds = await self.sessions.unless_unreachable(
            self.transport.transport_address, request
        )
        if error_indication:
            if isinstance(error_indication, CREDENTIAL_ERRORS):
                raise SnmpCredentialsRejected(str(error_indication))
            raise SnmpRequestError(str(error_indication))
        if error_status:
            if int(error_status) in ACCESS_DENIED:
                raise SnmpCredentialsRejected(f"{error_status.prettyPrint()} at {error_index}")
            raise SnmpRequestError(f"{error_status.prettyPrint()} at {error_index}")
        return [(name, value) for name, value in var_binds]


def _object_types(oids: Sequence[str]) -> list[ObjectType]:
    return [ObjectType(ObjectIdentity(oid)) for oid in oids]


class V3Sessions:
    """The v3 engines of one poller and the targets registered with them; `close()` at the end."""

    def __init__(self, *, timeout: float, retries: int) -> None:
        self.timeout = timeout
        self.retries = retries
        self._engines: dict[int, SnmpEngine] = {}
        self._key_sets: dict[str, list[tuple[str, ...]]] = {}
        self._unreachable: dict[Address, set[asyncio.Future[str]]] = {}

    @property
    def engine_count(self) -> int:
        return len(self._engines)

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close_dispatcher()
        self._engines.clear()

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

    def _credentials(self, target: ProbeTarget) -> tuple[SnmpEngine, UsmUserData]:
        user = target.v3_user or ""
        key_set = (
            target.auth_protocol or "",
            target.auth_key or "",
            target.priv_protocol or "",
            target.priv_key or "",
        )
        known = self._key_sets.setdefault(user, [])
        if key_set not in known:
            known.append(key_set)
        auth = UsmUserData(
            user,
            authKey=target.auth_key or None,
            privKey=target.priv_key or None,
            authProtocol=AUTH_PROTOCOLS[target.auth_protocol or ""],
            privProtocol=PRIV_PROTOCOLS[target.priv_protocol or ""],
        )
        return self._engine(known.index(key_set)), auth

    async def channel(self, target: ProbeTarget) -> V3Channel:
        """Engine, credentials and resolved transport of a target, registered with the engine."""
        engine, auth = self._credentials(target)
        transport = await _UdpTarget.create((target.host, target.port), timeout=self.timeout, retries=self.retries)
        LCD.configure(engine, auth, transport, b"")
        return V3Channel(self, engine, auth, transport)

    def _device_unreachable(self, address: Address, reason: str) -> None:
        for waiter in self._unreachable.get(address, ()):
            if not waiter.done():
                waiter.set_result(reason)

    async def unless_unreachable(self, address: Address, request: Awaitable[_T]) -> _T:
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
