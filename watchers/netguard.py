"""Which addresses we may connect to: the guard that keeps sources from reaching our own network.

A source URL is attacker-controlled input. We refuse loopback, private, link-local (the cloud metadata
address lives there), multicast and reserved targets, IPv4 and IPv6 alike, IPv4-mapped IPv6 unwrapped first,
unless ``[network] allow_private`` lists the address or network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allowlist(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Turn ``["127.0.0.1", "10.0.0.0/8", "::1"]`` into networks; raises ValueError on a bad entry."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def unmap(address: IPAddress) -> IPAddress:
    """``::ffff:10.0.0.1`` is 10.0.0.1 for every purpose that matters here."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal_reason(address: IPAddress | str, allow: Iterable[IPNetwork] = ()) -> str | None:
    """Why connecting to ``address`` is refused, or None when it is allowed."""
    ip = unmap(ipaddress.ip_address(address) if isinstance(address, str) else address)
    if any(ip.version == net.version and ip in net for net in allow):
        return None
    kinds = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved or ip.is_unspecified),
        ("not globally routable", not ip.is_global),
    )
    for name, hit in kinds:
        if hit:
            return f"{ip} is a {name} address" if name != "not globally routable" else f"{ip} is {name}"
    return None
