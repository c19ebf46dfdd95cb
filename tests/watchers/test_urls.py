from __future__ import annotations

import pytest

from watchers.urls import canonical_url, is_http_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG/a?utm_source=x&b=2&a=1#frag", "https://example.org/a?a=1&b=2"),
        ("http://example.org:80/x?fbclid=1&gclid=2&mc_cid=3", "http://example.org/x"),
        ("https://example.org", "https://example.org/"),
        ("http://127.0.0.1:8080/feed", "http://127.0.0.1:8080/feed"),
        ("http://[::1]:8080/feed", "http://[::1]:8080/feed"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_only_http_urls() -> None:
    assert is_http_url("https://example.org/x")
    assert not is_http_url("ftp://example.org/x")
    assert not is_http_url("file:///etc/passwd")
    assert not is_http_url("htp://x")
    assert not is_http_url("http://")
