from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchers.errors import ParseError
from watchers.feeds import parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>One &amp; two</title><link>/a/1.html</link><guid isPermaLink="false">g1</guid>
<pubDate>Tue, 01 Dec 2026 10:00:00 +0200</pubDate><description>&lt;p&gt;Hello&lt;/p&gt;</description></item>
<item><title>No date</title><link>https://example.org/a/2.html</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/news/"><title>A</title>
<entry><id>tag:x,2026:1</id><title>Atom entry</title><link href="item/1"/>
<updated>2026-12-01T08:00:00Z</updated><summary>S</summary></entry></feed>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
"items": [{"id": "1", "url": "https://example.org/j/1", "title": "Json item",
"date_published": "2026-12-01T09:30:00+01:00", "content_text": "Body"}]}"""


def test_rss_relative_links_dates_and_missing_dates() -> None:
    entries = parse_feed(RSS, url="https://example.org/feed.xml", content_type="application/rss+xml")
    assert [e.title for e in entries] == ["One & two", "No date"]
    assert entries[0].url == "https://example.org/a/1.html"
    assert entries[0].guid == "g1"
    assert entries[0].published == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert entries[1].published is None


def test_atom_resolves_xml_base() -> None:
    [entry] = parse_feed(ATOM, url="https://example.org/atom.xml")
    assert entry.url == "https://example.org/news/item/1"
    assert entry.published == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_json_feed() -> None:
    [entry] = parse_feed(JSON_FEED, url="https://example.org/feed.json", content_type="application/feed+json")
    assert entry.title == "Json item"
    assert entry.published == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "application/xml", "empty response"),
        (b"<html><body><p>hello</p></body></html>", "text/html; charset=utf-8", "not a feed: got text/html"),
        (b"<rss><channel><item><title>x</ti", "application/xml", "XML error at line"),
        (b'{"items": 3}', "application/json", "not a feed"),
        (b"{broken", "application/json", "JSON error at line 1"),
    ],
)
def test_bad_bodies_give_readable_errors(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(body, url="https://example.org/f", content_type=content_type)
    assert message in str(info.value)
