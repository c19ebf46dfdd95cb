"""XML bombs and external entities never reach the parser as such."""

from __future__ import annotations

import time

import pytest

from watchers.errors import ParseError
from watchers.feeds import parse_feed
from watchers.xmlguard import guard_xml

FEED = "<rss version='2.0'><channel><title>t</title><item><title>{t}</title><link>http://a.example/1</link></item></channel></rss>"


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    doctype = f"<!DOCTYPE rss [{''.join(entities)}]>"
    return f'<?xml version="1.0"?>{doctype}{FEED.format(t=f"&lol{levels - 1};")}'.encode()


def test_billion_laughs_is_a_clear_parse_error_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(ParseError, match="XML refused: entity lol1 refers to other entities"):
        parse_feed(billion_laughs(), url="http://a.example/feed")
    assert time.monotonic() - started < 1.0


def test_quadratic_blowup_and_entity_floods_are_refused() -> None:
    huge = f'<!DOCTYPE rss [<!ENTITY a "{"x" * 50_000}">]>{FEED.format(t="&a;" * 1000)}'.encode()
    with pytest.raises(ParseError, match="DTD is larger than 16,384 bytes"):
        guard_xml(huge)
    many = "".join(f'<!ENTITY e{i} "&#{65 + i % 26};">' for i in range(100))
    with pytest.raises(ParseError, match="100 entity declarations"):
        guard_xml(f"<!DOCTYPE rss [{many}]>{FEED.format(t='x')}".encode())


def test_external_entities_are_removed_not_read() -> None:
    body = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{FEED.format(t="a &xxe; b")}'.encode()
    assert b"SYSTEM" not in guard_xml(body)
    (entry,) = parse_feed(body, url="http://a.example/feed")
    assert "root:" not in entry.title


def test_harmless_doctypes_pass_unchanged() -> None:
    netscape = (
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">' + FEED.format(t="x").encode()
    )
    assert guard_xml(netscape) == netscape
    chars = f'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>{FEED.format(t="a&nbsp;b")}'.encode()
    assert guard_xml(chars) == chars
    (entry,) = parse_feed(chars, url="http://a.example/feed")
    assert entry.title == "a\xa0b"
