from __future__ import annotations

import pytest

from watchers.urls import canonical_url, is_http_url, title_from_url


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


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://amp.example.org/world/story", "https://www.example.org/world/story"),
        ("https://m.example.org/world/story", "https://www.example.org/world/story"),
        ("https://mobile.example.co.uk/a", "https://www.example.co.uk/a"),
        ("https://en.m.wikipedia.org/wiki/NATO", "https://en.wikipedia.org/wiki/NATO"),
        ("https://example.org/world/story/amp", "https://example.org/world/story"),
        ("https://example.org/world/story/amp/", "https://example.org/world/story/"),
        ("https://example.org/amp/world/story", "https://example.org/world/story"),
        ("https://example.org/world/story.amp.html", "https://example.org/world/story.html"),
        ("https://example.org/world/story.amp", "https://example.org/world/story"),
        ("https://example.org/s?id=4&amp=1&outputType=amp", "https://example.org/s?id=4"),
        ("https://example.org/s?outputType=print", "https://example.org/s?outputType=print"),
        ("https://example.org/amp", "https://example.org/amp"),
        ("https://m.example/a", "https://m.example/a"),
        ("http://127.0.0.1:8080/amp/x", "http://127.0.0.1:8080/x"),
    ],
)
def test_amp_and_mobile_variants_fold_into_the_desktop_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://example.org/2026/01/nato-grows-east.html", "Nato grows east"),
        ("https://example.org/world/grain_harvest_ends/", "Grain harvest ends"),
        ("https://example.org/story/1234567", "example.org"),
        ("https://example.org/", "example.org"),
    ],
)
def test_title_from_url(url: str, title: str) -> None:
    assert title_from_url(url) == title
