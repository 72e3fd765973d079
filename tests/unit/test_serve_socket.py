"""`schoolit serve --workers N`: connections accepted on the shared listening socket get TCP_NODELAY."""

from __future__ import annotations

import asyncio
import socket

import pytest

from schoolit.cli import tcp_listener
from schoolit.errors import CommandFailed
from tests.support import free_port


async def test_connections_on_the_workers_listener_do_not_wait_for_delayed_acks() -> None:
    listener = tcp_listener("127.0.0.1", free_port())
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Report(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Report, sock=listener)
    try:
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        assert await asyncio.wait_for(accepted, 5) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_a_port_in_use_is_one_clear_error() -> None:
    port = free_port()
    first = tcp_listener("127.0.0.1", port)
    first.listen()
    try:
        with pytest.raises(CommandFailed, match=rf"^cannot listen on 127.0.0.1:{port}: Address already in use$"):
            tcp_listener("127.0.0.1", port)
    finally:
        first.close()
