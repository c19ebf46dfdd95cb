"""Feed bytes to ``FeedEntry`` objects: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

A plain RSS 2.0 or Atom 1.0 feed is read first by ``watchers.plain_feed`` (lxml, about ten times faster),
which gives the same entries or declines; feedparser reads everything it declines.

feedparser is given bytes and the response headers, never a URL, so it cannot fetch anything itself.
A feed that parses with warnings ("bozo") but still has entries is accepted: the wild is full of those.
Before feedparser sees a feed, ``watchers.charsets`` decides its encoding (header, BOM, XML declaration,
meta; checked against the bytes) and hands it over as UTF-8, and ``watchers.xmlguard`` refuses entity
bombs and external entities.
"""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime
from typing import Any

import feedparser

from watchers.charsets import feed_bytes
from watchers.entries import FeedEntry
from watchers.errors import ParseError
from watchers.plain_feed import read_plain_feed
from watchers.urls import is_http_url
from watchers.xmlguard import guard_xml

MAX_ENTRIES = 500


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> list[FeedEntry]:
    """Parse a feed body fetched from ``url``; raises ParseError with a readable reason."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise ParseError("empty response: no feed")
    if stripped[:1] in (b"{", b"[") or "json" in content_type.lower():
        return _parse_json_feed(stripped, url)
    data, _ = feed_bytes(body, content_type)
    data = guard_xml(data)
    plain = read_plain_feed(data, url)
    if plain is not None:
        entries = _entries(plain, url)
        if entries:
            return entries  # an empty plain feed goes to feedparser, which decides "empty" or "not a feed"
    return _parse_with_feedparser(data, url=url, content_type=content_type)


def _parse_with_feedparser(data: bytes, *, url: str, content_type: str) -> list[FeedEntry]:
    """``data`` is UTF-8 and through ``guard_xml``; kept apart so tests can compare it with the plain path."""
    mime = content_type.split(";")[0].strip() or "application/xml"
    headers = {"content-location": url, "content-type": f"{mime}; charset=utf-8"}
    parsed = feedparser.parse(data, response_headers=headers, resolve_relative_uris=True, sanitize_html=True)
    entries = _entries(parsed.entries, url)
    broken = parsed.get("bozo") and callable(getattr(parsed.get("bozo_exception"), "getLineNumber", None))
    if not entries and (broken or not parsed.get("version")):
        if parsed.get("bozo"):
            raise ParseError(_bozo_message(parsed.get("bozo_exception"), content_type))
        raise ParseError(f"not a feed: got {content_type.split(';')[0] or 'an unknown type'}")
    return entries


def _bozo_message(exc: object, content_type: str) -> str:
    mime = content_type.split(";")[0].strip().lower()
    if mime in ("text/html", "application/xhtml+xml"):
        return f"not a feed: got {mime}"
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        return f"XML error at line {line()}: {getattr(exc, 'getMessage', lambda: str(exc))()}"
    return f"not a feed: {exc}" if exc else "not a feed"


def _entries(raws: Any, base: str) -> list[FeedEntry]:
    return [e for e in (_entry(raw, base) for raw in raws[:MAX_ENTRIES]) if e is not None]


def _entry(raw: Any, base: str) -> FeedEntry | None:
    """``raw`` is a feedparser entry, or the same fields filled by ``watchers.plain_feed``."""
    link = raw.get("link") or ""
    if not is_http_url(link):
        link = next((x.get("href", "") for x in raw.get("links", []) if is_http_url(x.get("href", ""))), "")
    guid = raw.get("id") or None
    if not link and guid and is_http_url(guid):
        link = guid
    title = (raw.get("title") or "").strip()
    if not link or not (title or raw.get("summary")):
        return None
    content = ""
    for part in raw.get("content", []) or []:
        if len(part.get("value", "")) > len(content):
            content = part.get("value", "")
    return FeedEntry(
        url=link,
        title=title,
        guid=guid,
        # dict.get: feedparser's own .get maps a missing published_parsed with a DeprecationWarning.
        published=_when(dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")),
        summary=raw.get("summary", "") or "",
        content=content,
        author=raw.get("author") or None,
    )


def _when(struct: Any) -> datetime | None:
    """feedparser normalises every date format to a UTC ``struct_time``."""
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _parse_json_feed(body: bytes, url: str) -> list[FeedEntry]:
    try:
        doc = json.loads(body.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise ParseError(f"JSON error at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ParseError("not a feed: JSON without an items list")
    entries: list[FeedEntry] = []
    for item in doc["items"][:MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "")
        if not is_http_url(link):
            continue
        published = None
        for key in ("date_published", "date_modified"):
            if isinstance(item.get(key), str):
                try:
                    published = datetime.fromisoformat(item[key].replace("Z", "+00:00")).astimezone(UTC)
                    break
                except ValueError:
                    continue
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        entries.append(
            FeedEntry(
                url=link,
                title=str(item.get("title") or "").strip(),
                guid=str(item["id"]) if item.get("id") is not None else None,
                published=published,
                summary=str(item.get("summary") or ""),
                content=str(item.get("content_html") or item.get("content_text") or ""),
                author=str(authors[0].get("name")) if authors and isinstance(authors[0], dict) else None,
            )
        )
    return entries
