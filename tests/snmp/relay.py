"""A UDP hop on loopback between the probe and a real SNMP agent that misbehaves like a network.

It passes datagrams both ways and, as told, drops the first copy of each request (a lost packet),
delays every answer (a slow link), or holds answers until it has `reverse` of them and then passes
them on newest first (reordering). The agent behind it is real (Net-SNMP or snmpsim); nothing SNMP is
imitated. `async with udp_relay(agent_port, ...) as relay` binds it and closes both sockets at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from schoolit.probes.simulators import LOOPBACK

Address = tuple[str, int]


@dataclass
class Relay:
    agent_port: int
    drop_first: bool = False
    delay: float = 0.0
    reverse: int = 0
    port: int = 0
    requests: list[bytes] = field(default_factory=list)  # every datagram the probe sent, in order
    answers_passed: int = 0
    answered: asyncio.Event = field(default_factory=asyncio.Event)  # set on each answer passed on
    _front: asyncio.DatagramTransport | None = None
    _upstream: asyncio.DatagramTransport | None = None
    _client: Address | None = None
    _held: list[bytes] = field(default_factory=list)
    _delayed: list[asyncio.TimerHandle] = field(default_factory=list)

    def from_client(self, data: bytes, address: Address) -> None:
        first_copy = data not in self.requests
        self.requests.append(data)
        self._client = address
        if self.drop_first and first_copy:
            return  # lost on the way: only a resend gets through
        assert self._upstream is not None
        self._upstream.sendto(data, (LOOPBACK, self.agent_port))

    def from_agent(self, data: bytes) -> None:
        if self.delay:
            self._delayed.append(asyncio.get_running_loop().call_later(self.delay, self._pass, data))
        elif self.reverse:
            self._held.append(data)
            if len(self._held) == self.reverse:
                held, self._held = self._held, []
                for answer in reversed(held):
                    self._pass(answer)
        else:
            self._pass(data)

    def _pass(self, data: bytes) -> None:
        if self._front is not None and self._client is not None:
            self._front.sendto(data, self._client)
            self.answers_passed += 1
            self.answered.set()

    async def wait_for_answers(self, count: int, limit: float = 5.0) -> None:
        """Until `count` answers have been passed on to the probe (fails after `limit` seconds)."""
        async with asyncio.timeout(limit):
            while self.answers_passed < count:
                self.answered.clear()
                await self.answered.wait()


class _Side(asyncio.DatagramProtocol):
    def __init__(self, relay: Relay, front: bool) -> None:
        self.relay = relay
        self.front = front

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if self.front:
            self.relay.from_client(data, addr)
        else:
            self.relay.from_agent(data)


@asynccontextmanager
async def udp_relay(agent_port: int, **behaviour: Any) -> AsyncIterator[Relay]:
    relay = Relay(agent_port, **behaviour)
    loop = asyncio.get_running_loop()
    front, _ = await loop.create_datagram_endpoint(lambda: _Side(relay, True), local_addr=(LOOPBACK, 0))
    upstream, _ = await loop.create_datagram_endpoint(lambda: _Side(relay, False), local_addr=(LOOPBACK, 0))
    relay._front, relay._upstream = front, upstream
    relay.port = int(front.get_extra_info("sockname")[1])
    try:
        yield relay
    finally:
        for handle in relay._delayed:
            handle.cancel()
        relay._front = relay._upstream = None
        front.close()
        upstream.close()
