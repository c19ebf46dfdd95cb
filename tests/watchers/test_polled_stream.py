"""Idle pooled connections: a server's hang-up is seen before the connection is reused.

httpcore asks each idle connection whether its socket is readable before it hands it a request; a
readable idle socket means the server closed it. ``PolledStream`` answers that with its own ``poll``, so
these tests hold the answer to the truth: a live idle connection is reused, a closed one is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.raw_http import RawHTTPServer, http_answer
from watchers.guarded_transport import PolledStream, guarded_client
from watchers.netguard import parse_allowlist

ALLOW = parse_allowlist(["127.0.0.1"])
RESPONSE = http_answer("200 OK", {"Content-Type": "text/plain"}, b"ok")


class OneShotServer(RawHTTPServer):
    """Answers every request; with ``hang_up``, closes a connection after one answer."""

    def __init__(self, hang_up: bool) -> None:
        super().__init__()
        self.hang_up = self.hang_up_after_answer = hang_up

    def answer(self, head: str, served: int) -> bytes:
        return RESPONSE


@pytest.fixture(params=[False, True], ids=["keeps-alive", "hangs-up"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[OneShotServer]:
    one = OneShotServer(hang_up=request.param)
    async with one.running():
        yield one


async def test_an_idle_connection_is_reused_only_while_the_server_keeps_it_open(
    server: OneShotServer,
) -> None:
    async with guarded_client(ALLOW) as client:
        for _ in range(3):
            response = await client.get(server.url + "/")
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
