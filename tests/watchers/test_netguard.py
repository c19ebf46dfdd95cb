"""The address classifier, tested on addresses directly: no traffic leaves this machine."""

from __future__ import annotations

import pytest

from watchers.netguard import parse_allowlist, refusal_reason


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.2",
        "::ffff:10.0.0.1",
        "100.64.0.1",
    ],
)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert refusal_reason(address) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(address) is None


def test_allowlist_is_exact() -> None:
    allow = parse_allowlist(["127.0.0.1", "10.1.0.0/16"])
    assert refusal_reason("127.0.0.1", allow) is None
    assert refusal_reason("::ffff:127.0.0.1", allow) is None
    assert refusal_reason("127.0.0.2", allow) is not None
    assert refusal_reason("10.1.2.3", allow) is None
    assert refusal_reason("10.2.0.1", allow) is not None
    assert refusal_reason("169.254.169.254", allow) == "169.254.169.254 is a link-local address"
