"""The autouse guard in conftest.py: name lookups other than localhost fail before any DNS traffic."""

from __future__ import annotations

import socket

import pytest


def test_lookup_of_a_public_name_is_refused_before_resolving() -> None:
    with pytest.raises(AssertionError, match=r"test tried to reach 'example\.org'"):
        socket.getaddrinfo("example.org", 80)


def test_loopback_lookups_still_work() -> None:
    assert socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)[0][4][0] == "127.0.0.1"
    assert socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)
