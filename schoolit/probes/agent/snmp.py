"""The probe's SNMP poller: polls many devices concurrently and turns their answers into `Sample`s.

Two ways to the devices, one poller on top (`SnmpPoller`):
- SNMP v2c (what most school access points and routers offer, and what a sweep mostly is) goes
  through `schoolit.probes.agent.v2c`: pysnmp's message API, one UDP socket for every request, request-id
  matching and one timer for all deadlines. ~0.5 ms CPU per poll instead of pysnmp's v3
  architecture's ~5 ms (target registration plus engine processing).
- SNMPv3 authPriv stays on pysnmp's v3 architecture (`schoolit.probes.agent.snmpv3`, imported only when a
  v3 target comes up: it alone costs ~0.3 s of imports).
Both give the poller a *channel* with the same `get`/`bulk` calls answering `(name, value)` pairs of
pysnmp/pyasn1 objects, so a v2c and a v3 poll of the same device give the same `PollResult`.

A dead device costs `timeout * (retries + 1)` seconds and holds one of `concurrency` workers
meanwhile; the defaults (1 s, one retry) keep a sweep of thousands of targets with some dead ones well
under a minute, while a busy access point over a school VPN still gets a second chance. A closed port
(agent off) or an unreachable host is known at once rather than after the timeout: both paths hear
ICMP errors (IP_RECVERR, `schoolit.probes.agent.udp`) and end the requests to that address.

Tables are read with our own GETBULK loop (not pysnmp's `bulk_walk_cmd`, which retries forever on
timeouts in 7.1.30): it stops on any error, at the end of each column's subtree, when the agent stops
moving forward, and after a fixed number of requests.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, Self

import msgspec
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from schoolit.probes.agent.profiles import INTERFACE_NAMES, PROFILES, SYSTEM_OIDS, uplink_oids
from schoolit.probes.agent.udp import Address, ipv4_literal
from schoolit.probes.agent.v2c import SnmpCredentialsRejected, SnmpRequestError, V2cClient, VarBinds
from schoolit.probes.agent.wire import CREDENTIALS_REJECTED, ControllerReport, ProbeTarget, Sample

if TYPE_CHECKING:
    from schoolit.probes.agent.snmpv3 import V3Sessions

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "PollResult",
    "SnmpPoller",
    "SnmpRequestError",
    "failed_result",
]

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 1.0
DEFAULT_RETRIES = 1
MAX_REPETITIONS = 20
# 50 requests of 20 rows per column: far more radios or stations than one controller's share.
MAX_WALK_REQUESTS = 50

_ABSENT = (NoSuchObject, NoSuchInstance, EndOfMibView)


class PollResult(msgspec.Struct, kw_only=True):
    """A poll's sample plus what identifies the device (shown by `check`, not sent to the server)."""

    target: ProbeTarget
    sample: Sample
    sys_name: str | None = None
    sys_object_id: str | None = None
    # A controller's poll: the samples of the access points it manages, and what it reported.
    members: list[Sample] = msgspec.field(default_factory=list)
    report: ControllerReport | None = None


class _Channel(Protocol):
    """GET and GETBULK to one device, whatever the SNMP version; raise `SnmpRequestError`."""

    async def get(self, oids: Sequence[str]) -> VarBinds: ...

    async def bulk(self, oids: Sequence[str], max_repetitions: int) -> VarBinds: ...


class _V2cChannel(NamedTuple):
    client: V2cClient
    address: Address
    community: str

    async def get(self, oids: Sequence[str]) -> VarBinds:
        return await self.client.get(self.address, self.community, oids)

    async def bulk(self, oids: Sequence[str], max_repetitions: int) -> VarBinds:
        return await self.client.bulk(self.address, self.community, oids, max_repetitions)


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
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._v2c = V2cClient(timeout=timeout, retries=retries)
        self._v3: V3Sessions | None = None

    async def __aenter__(self) -> Self:
        await self._v2c.__aenter__()  # the socket, inside the running loop, before any request
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._v2c.close()
        if self._v3 is not None:
            self._v3.close()
            self._v3 = None

    @property
    def engine_count(self) -> int:
        """pysnmp v3 engines started so far (v2c needs none)."""
        return self._v3.engine_count if self._v3 is not None else 0

    @property
    def ignored_datagrams(self) -> int:
        """v2c datagrams that answered no request in flight (late, foreign or malformed)."""
        return self._v2c.ignored

    @property
    def resent_requests(self) -> int:
        """v2c requests sent again after a timeout."""
        return self._v2c.resent

    def _v3_sessions(self) -> V3Sessions:
        if self._v3 is None:
            from schoolit.probes.agent.snmpv3 import V3Sessions  # the v3 machinery only when needed

            self._v3 = V3Sessions(timeout=self.timeout, retries=self.retries)
        return self._v3

    async def _channel(self, target: ProbeTarget) -> _Channel:
        if target.snmp_version == "3":
            return await self._v3_sessions().channel(target)
        address = ipv4_literal(target.host, target.port)
        if address is None:  # a host name: ask the resolver (in a thread, via asyncio)
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.host, target.port, family=socket.AF_INET, type=socket.SOCK_DGRAM
            )
            address = (str(infos[0][4][0]), int(infos[0][4][1]))
        # v2c is what many school access points still offer; the server decides, v3 is preferred.
        return _V2cChannel(self._v2c, address, target.community or "")

    async def poll_all(
        self, targets: Iterable[ProbeTarget], on_result: Callable[[PollResult], None] | None = None
    ) -> list[PollResult]:
        """Poll every target concurrently; results come back in target order.

        `concurrency` workers take the targets in turn (not one task per target waiting on a
        semaphore). v3 targets are registered with their engine before the first request (see
        `schoolit.probes.agent.snmpv3`).
        """
        targets = list(targets)
        prepared: list[_Channel | BaseException | None] = [None] * len(targets)
        v3_positions = [n for n, target in enumerate(targets) if target.snmp_version == "3"]
        if v3_positions:
            sessions = self._v3_sessions()
            channels = await asyncio.gather(
                *(sessions.channel(targets[n]) for n in v3_positions), return_exceptions=True
            )
            for n, channel in zip(v3_positions, channels, strict=True):
                prepared[n] = channel
        results: list[PollResult | None] = [None] * len(targets)
        queue = iter(range(len(targets)))

        async def worker() -> None:
            for n in queue:
                result = results[n] = await self.poll(targets[n], prepared[n])
                if on_result is not None:
                    on_result(result)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(targets)))))
        return [result for result in results if result is not None]

    async def poll(self, target: ProbeTarget, channel: _Channel | BaseException | None = None) -> PollResult:
        """Poll one target; never raises for device trouble, the sample says what went wrong."""
        async with self._slots:
            polled_at = datetime.now(UTC)
            try:
                if channel is None:
                    channel = await self._channel(target)
                if isinstance(channel, BaseException):
                    raise channel
                return await self._poll(target, channel, polled_at)
            except Exception as exc:  # a bad host name, a transport error: this target failed
                return failed_result(target, polled_at, f"{type(exc).__name__}: {exc}")

    async def _poll(self, target: ProbeTarget, channel: _Channel, polled_at: datetime) -> PollResult:
        oids = list(SYSTEM_OIDS)
        if_index = target.if_index
        started = time.perf_counter()
        try:
            if target.asset_kind == "uplink" and if_index is None and target.if_name:
                if_index = await interface_index(channel, target.if_name)
            if target.asset_kind == "uplink" and if_index is not None:
                oids += uplink_oids(if_index)
            values = [value for _, value in await channel.get(oids)]
        except SnmpCredentialsRejected as exc:
            return failed_result(target, polled_at, f"{CREDENTIALS_REJECTED}{exc}")
        except SnmpRequestError as exc:
            return failed_result(target, polled_at, str(exc))
        if len(values) != len(oids):
            return failed_result(target, polled_at, f"answer with {len(values)} values for {len(oids)} OIDs")
        response_ms = round((time.perf_counter() - started) * 1000, 2)

        figures: dict[str, Any] = {"uptime_ticks": _number(values[0])}
        error: str | None = None
        if target.asset_kind == "uplink" and if_index is None:
            # The router answers, but has no interface of that name: a configuration fault, not an outage.
            error = f"no interface named {target.if_name!r} (ifName, ifAlias or ifDescr)"
            sample = _sample(target, polled_at, reachable=True, response_ms=response_ms, error=error, **figures)
            return PollResult(target=target, sample=sample, sys_name=_text(values[1]),
                              sys_object_id=_oid_text(values[2]))
        if target.asset_kind == "controller":
            from schoolit.probes.agent.controller_poll import poll_controller_tables

            return await poll_controller_tables(
                channel, target, polled_at, response_ms, figures, _text(values[1]), _oid_text(values[2])
            )
        if target.asset_kind == "uplink":
            figures.update(if_speed_mbps=_number(values[5]), oper_status=_number(values[6]))
            hc_in, hc_out = _number(values[3]), _number(values[4])
            if hc_in is None and hc_out is None and _number(values[7]) is not None:
                # No IF-MIB HC counters (old or small routers): the 32-bit ones, which wrap at 4 GiB.
                figures.update(in_octets=_number(values[7]), out_octets=_number(values[8]), counter_bits=32)
            else:
                figures.update(in_octets=hc_in, out_octets=hc_out)
        else:
            profile = PROFILES[target.profile]
            try:
                table = await _walk(channel, profile.columns, target.row_index)
            except SnmpRequestError as exc:
                error = f"walk: {exc}"
            else:
                if profile.clients is not None:
                    figures["clients"] = profile.clients.fold(table)
                if profile.radio is not None:
                    figures["radio_up"] = profile.radio.fold(table)
        sample = _sample(target, polled_at, reachable=True, response_ms=response_ms, error=error, **figures)
        return PollResult(target=target, sample=sample, sys_name=_text(values[1]), sys_object_id=_oid_text(values[2]))


def _sample(target: ProbeTarget, polled_at: datetime, **fields: Any) -> Sample:
    return Sample(asset_kind=target.asset_kind, asset_id=target.asset_id, polled_at=polled_at, **fields)


def failed_result(target: ProbeTarget, polled_at: datetime, error: str) -> PollResult:
    """The result of a poll that got no usable answer: unreachable, with what went wrong.

    A controller that does not answer says nothing about its access points: no samples for them (their
    state stays as it was), only the controller's report that it failed."""
    report = None
    if target.asset_kind == "controller":
        report = ControllerReport(controller_id=target.asset_id, polled_at=polled_at, reachable=False, error=error)
    return PollResult(target=target, sample=_sample(target, polled_at, reachable=False, error=error), report=report)


async def interface_index(channel: _Channel, name: str) -> int | None:
    """The ifIndex of the interface called `name`: its ifName, else its ifAlias (the description an
    administrator gave, e.g. "WAN Glasfaser"), else its ifDescr; compared without case and surrounding
    blanks. One walk of the three columns; None when no interface is called so."""
    table = await _walk(channel, INTERFACE_NAMES, "", _text)
    wanted = name.strip().casefold()
    for column in INTERFACE_NAMES:
        for index, text in sorted(table[column].items(), key=lambda item: int(item[0].split(".")[0])):
            if str(text).strip().casefold() == wanted and index.isdigit():
                return int(index)
    return None


async def _walk(
    channel: _Channel, columns: Sequence[str], row_index: str, convert: Callable[[Any], Any] = _number
) -> dict[str, dict[str, Any]]:
    """Walk columns side by side with GETBULK: `{column: {row index: value}}`.

    With `row_index`, only the rows below that index prefix are read. `convert` turns each answered
    value into what is kept (numbers by default; rows it turns into None are left out).
    """
    table: dict[str, dict[str, Any]] = {column: {} for column in columns}
    roots = {column: _oid_tuple(f"{column}.{row_index}" if row_index else column) for column in columns}
    column_lengths = {column: len(_oid_tuple(column)) for column in columns}
    cursors = dict(roots)
    active = list(columns)
    for _ in range(MAX_WALK_REQUESTS):
        if not active:
            return table
        var_binds = await channel.bulk([".".join(map(str, cursors[column])) for column in active], MAX_REPETITIONS)
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
            kept = convert(value)
            if kept is not None:
                table[column][".".join(map(str, oid[column_lengths[column] :]))] = kept
        if not var_binds:
            return table
        active = [column for column in active if column not in finished]
    if active:
        raise SnmpRequestError(f"table longer than {MAX_WALK_REQUESTS * MAX_REPETITIONS} rows")
    return table
