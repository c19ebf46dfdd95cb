"""A keep-alive HTTP/1.1 server on loopback over raw asyncio streams, for tests that decide every byte.

The local news site (``bot.sample_site``) answers like a well-behaved server; connection tests also need a
server that hangs up at a chosen moment, or sends what no server should (a 304 with a body), and that
counts the connections and requests it saw. Subclasses say what to answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


def http_answer(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The bytes of an answer with a Content-Length, so the connection can stay open after it."""
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class RawHTTPServer:
    """Answers each request of a connection with ``answer`` until it returns None (hang up unanswered) or,
    with ``hang_up_after_answer``, after the first answer."""

    hang_up_after_answer = False

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self._server: asyncio.Server | None = None

    def answer(self, head: str, served: int) -> bytes | None:
        """The answer to a request (``head``: its lower-cased request line and headers), the ``served``-th
        of its connection; None closes the connection without answering."""
        raise NotImplementedError

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
                self.requests += 1
                served += 1
                reply = self.answer(head, served)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if self.hang_up_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, no trailing slash."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RawHTTPServer]:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        async with self._server:
            yield self
