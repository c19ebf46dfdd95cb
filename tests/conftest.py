"""Shared fixtures: no network beyond loopback, both databases, a local news site."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.sample_site import LocalSite

POSTGRES_URL = os.environ.get("NEWSWATCH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _is_loopback(host: Any) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_loopback(host):
        raise AssertionError(f"test tried to reach {address!r}: only loopback connections are allowed")


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address, or a name lookup other than localhost, fails the test."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        _check_address(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check_address(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name != "localhost":
            try:
                ipaddress.ip_address(str(name).strip("[]").split("%", 1)[0])
            except ValueError:
                raise AssertionError(f"test tried to reach {name!r}: name lookups are not allowed") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL not reachable at {POSTGRES_URL}: {reason}"
    if os.environ.get("NEWSWATCH_REQUIRE_POSTGRES") == "1" or os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.db"
        return
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a test dependency
        _postgres_unavailable(f"psycopg is not installed ({exc})")
        return
    schema = f"t_{uuid.uuid4().hex}"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        _postgres_unavailable(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        return
    base = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def news_site() -> Iterator[LocalSite]:
    """A LocalSite on 127.0.0.1 with no routes yet."""
    site = LocalSite("127.0.0.1").start()
    try:
        yield site
    finally:
        site.stop()
