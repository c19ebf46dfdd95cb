"""Idle pooled connections: a server's hang-up is seen before the connection is reused.

httpcore asks each idle connection whether its socket is readable before it hands it a request; a
readable idle socket means the server closed it. ``PolledStream`` answers that with its own ``poll``, so
these tests hold the answer to the truth: a live idle connection is reused, a closed one is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from watchers.guarded_transport import PolledStream, guarded_client
from watchers.netguard import parse_allowlist

ALLOW = parse_allowlist(["127.0.0.1"])
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class OneShotServer:
    """Answers each connection's requests; with ``hang_up``, closes a connection after one answer."""

    def __init__(self, hang_up: bool) -> None:
        self.hang_up = hang_up
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(RESPONSE)
                await writer.drain()
                if self.hang_up:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"


@pytest.fixture(params=[False, True], ids=["keeps-alive", "hangs-up"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[OneShotServer]:
    one = OneShotServer(hang_up=request.param)
    one.server = await asyncio.start_server(one.handle, "127.0.0.1", 0)
    async with one.server:
        yield one


async def test_an_idle_connection_is_reused_only_while_the_server_keeps_it_open(
    server: OneShotServer,
) -> None:
    async with guarded_client(ALLOW) as client:
        for _ in range(3):
            response = await client.get(server.url)
            assert response.text == "ok"
            await asyncio.sleep(0.05)  # the hang-up, when there is one, reaches our socket
    assert server.connections == (3 if server.hang_up else 1)


async def test_readable_means_the_peer_hung_up() -> None:
    closed = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.close()
        closed.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        async with guarded_client(ALLOW) as client:
            pool = client._transport._pool  # type: ignore[attr-defined]
            stream = await pool._network_backend.connect_tcp("127.0.0.1", port)
            assert isinstance(stream, PolledStream)
            assert stream.get_extra_info("is_readable") is False
            await stream.write(b"x")
            await closed.wait()
            for _ in range(50):  # the FIN is on its way
                if stream.get_extra_info("is_readable"):
                    break
                await asyncio.sleep(0.01)
            assert stream.get_extra_info("is_readable") is True
            assert stream.get_extra_info("server_addr")[1] == port
            await stream.aclose()
            assert stream.get_extra_info("is_readable") is True
