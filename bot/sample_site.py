"""A small real HTTP news site on loopback, for the demo and the tests.

It serves an in-memory table of pages with honest caching (ETag and Last-Modified, answering 304 to
conditional requests), so a poll cycle against it behaves like one against a real publisher. Tests add
their own routes and faults (status codes, delays, Retry-After, redirects, gzip, bodies already encoded
such as a gzip bomb, bodies repeated to any size without holding them, answers cut off mid-body) through
``Route``.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot import sample_news


@dataclass
class Route:
    """One path's response; ``status`` other than 200 serves ``body`` with that status.

    ``encoding`` serves ``body`` as it is with that Content-Encoding (for hand-made gzip bombs);
    ``repeat`` sends ``body`` that many times (a huge response that the server never holds in memory);
    ``truncate_at`` announces the full length but closes the connection after that many bytes;
    ``declare_length=False`` sends no Content-Length (the body ends when the connection closes);
    ``validators=False`` sends neither ETag nor Last-Modified and never answers 304 (many feeds in the wild).
    """

    content_type: str
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    gzip: bool = False
    encoding: str | None = None
    repeat: int = 1
    truncate_at: int | None = None
    declare_length: bool = True
    validators: bool = True
    modified: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body, usedforsecurity=False).hexdigest()[:16] + '"'


class LocalSite:
    """Start with ``with LocalSite() as site:``; ``site.url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-site", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set(self, path: str, route: Route) -> None:
        with self._lock:
            old = self.routes.get(path)
            if old is not None and old.body == route.body and old.status == route.status:
                route.modified = old.modified  # unchanged content keeps its validators
            self.routes[path] = route

    def set_pages(self, pages: Mapping[str, tuple[str, bytes]]) -> None:
        for path, (content_type, body) in pages.items():
            self.set(path, Route(content_type, body))

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for p, _ in self.requests if p == path)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        with self._lock:
            self.requests.append((request.path, {k.lower(): v for k, v in request.headers.items()}))
            route = self.routes.get(path)
        if route is None:
            self._reply(request, 404, "text/plain", b"not found", {})
            return
        if route.delay:
            time.sleep(route.delay)
        headers = dict(route.headers)
        if route.status == 200 and route.validators:
            headers.setdefault("ETag", route.etag)
            headers.setdefault("Last-Modified", format_datetime(route.modified, usegmt=True))
            if request.headers.get("If-None-Match") == route.etag:
                self._reply(request, 304, None, b"", {"ETag": route.etag})
                return
        body = route.body
        if route.gzip and "gzip" in (request.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        elif route.encoding:
            headers["Content-Encoding"] = route.encoding
        if route.repeat != 1 or route.truncate_at is not None or not route.declare_length:
            self._stream(request, route, body, headers)
            return
        self._reply(request, route.status, route.content_type, body, headers)

    @staticmethod
    def _stream(request: BaseHTTPRequestHandler, route: Route, body: bytes, headers: dict[str, str]) -> None:
        """Send ``body`` ``route.repeat`` times, stopping after ``truncate_at`` bytes when that is set."""
        limit = route.truncate_at if route.truncate_at is not None else len(body) * route.repeat
        try:
            request.send_response(route.status)
            request.send_header("Content-Type", route.content_type)
            for key, value in headers.items():
                request.send_header(key, value)
            if route.declare_length:
                request.send_header("Content-Length", str(len(body) * route.repeat))
            else:
                request.send_header("Connection", "close")
            request.end_headers()
            sent = 0
            while sent < limit:
                piece = body[: limit - sent]
                request.wfile.write(piece)
                sent += len(piece)
            request.wfile.flush()
            request.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            return

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        status: int,
        content_type: str | None,
        body: bytes,
        headers: dict[str, str],
    ) -> None:
        try:
            request.send_response(status)
            if content_type:
                request.send_header("Content-Type", content_type)
            for key, value in headers.items():
                request.send_header(key, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            if body:
                request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return


class SampleNewsSite(LocalSite):
    """The demo's outlets from ``bot.sample_news``; ``advance()`` publishes the next cycle's articles."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        self.start_time = (start or datetime.now(UTC)).replace(microsecond=0)
        self.cycle = 0

    def start(self) -> SampleNewsSite:
        super().start()
        self.publish(0)
        return self

    def publish(self, cycle: int) -> None:
        self.cycle = cycle
        self.set_pages(sample_news.site_routes(self.url, self.start_time, cycle))

    def feed_urls(self) -> list[tuple[str, str]]:
        """(outlet name, feed URL) for every outlet."""
        return [(o.name, self.url + sample_news.feed_path(o)) for o in sample_news.OUTLETS]
