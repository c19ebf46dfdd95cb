"""OPML subscription lists in and out, the format every feed reader exchanges.

Import reads every ``<outline>`` with an ``xmlUrl`` at any depth (folders are flattened; a folder's name
is not a source), title from ``title`` then ``text`` then the URL's host. Parsing goes through defusedxml,
so an OPML file cannot expand entities. Export writes OPML 2.0 with ``type="rss"`` for feeds and, for our
other kinds, ``newswatchKind`` (and ``newswatchOptions``, the per-kind options as JSON) so a round trip
keeps them; other readers ignore unknown attributes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, SubElement, tostring
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml
import defusedxml.ElementTree

from watchers.errors import ParseError
from watchers.urls import is_http_url

KIND_ATTRIBUTE = "newswatchKind"
OPTIONS_ATTRIBUTE = "newswatchOptions"  # the per-kind options as JSON (selector, max_items, …)


@dataclass(frozen=True)
class OpmlFeed:
    """One subscription: where to poll (``url``), what to call it, and its kind (``rss`` unless ours)."""

    title: str
    url: str
    html_url: str = ""
    kind: str = "rss"
    options: dict[str, Any] = field(default_factory=dict)


def parse_opml(data: bytes) -> tuple[list[OpmlFeed], list[str]]:
    """``(feeds, problems)``: every usable outline, and one sentence per outline that was skipped."""
    try:
        root = defusedxml.ElementTree.fromstring(data.lstrip(b"\xef\xbb\xbf \t\r\n"))
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(f"unsafe XML refused: {type(exc).__name__} (entities are not allowed)") from exc
    except XMLSyntaxError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise ParseError(f"not OPML: XML error at line {line}") from exc
    if root.tag.lower() != "opml" or root.find("body") is None:
        raise ParseError(f"not OPML: the root element is <{root.tag}> without a <body>")
    feeds: list[OpmlFeed] = []
    problems: list[str] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue  # a folder
        name = " ".join((outline.get("title") or outline.get("text") or "").split())
        if not is_http_url(url):
            problems.append(f"{name or url!r}: {url!r} is not an http(s) URL")
            continue
        if url in seen:
            continue
        try:
            options = json.loads(outline.get(OPTIONS_ATTRIBUTE) or "{}")
        except json.JSONDecodeError:
            options = None
        if not isinstance(options, dict):
            problems.append(f"{name or url!r}: {OPTIONS_ATTRIBUTE} is not a JSON object")
            continue
        seen.add(url)
        feeds.append(
            OpmlFeed(
                title=name or (urlsplit(url).hostname or url),
                url=url,
                html_url=(outline.get("htmlUrl") or "").strip(),
                kind=(outline.get(KIND_ATTRIBUTE) or "rss").strip().lower(),
                options=options,
            )
        )
    return feeds, problems


def render_opml(
    feeds: list[OpmlFeed], *, title: str = "Newswatch sources", now: datetime | None = None
) -> bytes:
    """An OPML 2.0 document listing ``feeds`` in order."""
    opml = Element("opml", version="2.0")
    head = SubElement(opml, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC), usegmt=True)
    body = SubElement(opml, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.url}
        if feed.html_url:
            attributes["htmlUrl"] = feed.html_url
        if feed.kind != "rss":
            attributes[KIND_ATTRIBUTE] = feed.kind
        if feed.options:
            attributes[OPTIONS_ATTRIBUTE] = json.dumps(feed.options, sort_keys=True)
        SubElement(body, "outline", attributes)
    document: bytes = tostring(opml, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + document + b"\n"
