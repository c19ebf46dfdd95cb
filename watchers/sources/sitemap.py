"""``sitemap``: news sitemaps and sitemap indexes, plain or gzip'd, parsed without entity expansion.

A ``<urlset>`` lists pages: ``<loc>``, ``<lastmod>`` and, in a Google News sitemap, ``<news:news>`` with
``<news:title>`` and ``<news:publication_date>`` (preferred over ``lastmod``). A ``<sitemapindex>`` lists
child sitemaps: the newest ``max_sitemaps`` children (by their ``lastmod``; undated ones last, in document
order) are fetched, and their URLs merged. A child that is itself an index is followed the same way
while indexes are at most ``MAX_INDEX_DEPTH`` deep (the configured one counts as the first), and never
more than ``MAX_CHILD_FETCHES`` sitemaps are fetched for one read (nor one twice), so a site's sitemap
tree cannot make a poll unbounded. Entries come out newest first, at most ``max_items``.

defusedxml refuses DTD entities, so a billion-laughs sitemap is a ``ParseError``, not exhausted memory;
a gzip body is inflated at most to the fetch size cap.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml
import defusedxml.ElementTree
import httpx

from watchers.entries import FeedEntry
from watchers.errors import ParseError, SourceError
from watchers.fetch import FetchPolicy, fetch
from watchers.politeness import HostGate
from watchers.sources.base import XML_ACCEPT, SourceListing, SourceSpec, conditional_fetch
from watchers.timestamps import parse_w3c_datetime
from watchers.urls import is_http_url

DEFAULT_MAX_ITEMS = 100
DEFAULT_MAX_SITEMAPS = 5
MAX_INDEX_DEPTH = 2  # the configured index, and indexes inside it; an index inside those is skipped
MAX_CHILD_FETCHES = 25  # sitemaps fetched below the configured one, whatever the tree's shape
_OLDEST = datetime.min.replace(tzinfo=UTC)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(element: Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def inflate(body: bytes, max_bytes: int) -> bytes:
    """Gunzip ``body`` if it is gzip, never producing more than ``max_bytes``; others pass through."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes)
    except zlib.error as exc:
        raise ParseError(f"broken gzip sitemap: {exc}") from exc
    if inflater.unconsumed_tail:
        raise ParseError(f"sitemap too large: more than {max_bytes:,} bytes once unzipped")
    return out


def parse_sitemap(body: bytes) -> tuple[str, list[tuple[str, datetime | None, str]]]:
    """``("urlset" | "sitemapindex", [(loc, date, news title)])``; ParseError with the reason otherwise."""
    try:
        root = defusedxml.ElementTree.fromstring(body.lstrip(b"\xef\xbb\xbf \t\r\n"))
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(f"unsafe XML refused: {type(exc).__name__} (entities are not allowed)") from exc
    except XMLSyntaxError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise ParseError(f"XML error at line {line}: {exc.msg if hasattr(exc, 'msg') else exc}") from exc
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(f"not a sitemap: the root element is <{kind}>")
    child_name = "url" if kind == "urlset" else "sitemap"
    items: list[tuple[str, datetime | None, str]] = []
    for element in root:
        if _local(element.tag) != child_name:
            continue
        loc = _child_text(element, "loc")
        if not is_http_url(loc):
            continue
        when = parse_w3c_datetime(_child_text(element, "lastmod"))
        title = ""
        for news in element:
            if _local(news.tag) == "news":
                title = " ".join(_child_text(news, "title").split())
                when = parse_w3c_datetime(_child_text(news, "publication_date")) or when
        items.append((loc, when, title))
    return kind, items


def _newest_first(items: list[tuple[str, datetime | None, str]]) -> list[tuple[str, datetime | None, str]]:
    return sorted(items, key=lambda item: item[1] or _OLDEST, reverse=True)


async def read(
    client: httpx.AsyncClient, policy: FetchPolicy, spec: SourceSpec, *, gate: HostGate | None = None
) -> SourceListing:
    """Fetch the sitemap (conditionally); follow an index's newest children; newest entries first."""
    result = await conditional_fetch(client, policy, spec, accept=XML_ACCEPT, gate=gate)
    if result.not_modified:
        return SourceListing.unchanged(result)
    kind, items = parse_sitemap(inflate(result.body, policy.max_bytes))
    if kind == "sitemapindex":
        walk = _IndexWalk(client, policy, spec.option_int("max_sitemaps", DEFAULT_MAX_SITEMAPS), gate)
        walk.seen.add(spec.url)
        items = await walk.children(items, depth=1)
    limit = spec.option_int("max_items", DEFAULT_MAX_ITEMS)
    entries = [
        FeedEntry(url=loc, title=title, guid=None, published=when)
        for loc, when, title in _newest_first(items)[:limit]
    ]
    return SourceListing.of(entries, result)


class _IndexWalk:
    """Fetches the children of sitemap indexes, nested ones included, within one read's bounds."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy, limit: int, gate: HostGate | None):
        self.client, self.policy, self.limit, self.gate = client, policy, limit, gate
        self.seen: set[str] = set()

    async def children(
        self, children: list[tuple[str, datetime | None, str]], *, depth: int
    ) -> list[tuple[str, datetime | None, str]]:
        """URLs of the newest ``limit`` children; one broken child is skipped, all broken is an error."""
        merged: list[tuple[str, datetime | None, str]] = []
        errors: list[str] = []
        chosen = [c for c in _newest_first(children) if c[0] not in self.seen][: self.limit]
        fetched = 0
        for loc, _when, _title in chosen:
            if len(self.seen) > MAX_CHILD_FETCHES:
                break  # the read's budget is spent: what was found so far is the listing
            self.seen.add(loc)
            fetched += 1
            try:
                child = await fetch(self.client, loc, self.policy, accept=XML_ACCEPT, gate=self.gate)
                kind, items = parse_sitemap(inflate(child.body, self.policy.max_bytes))
                if kind == "sitemapindex":
                    if depth >= MAX_INDEX_DEPTH:
                        continue  # deeper than we follow: bounded, not an error
                    items = await self.children(items, depth=depth + 1)
            except SourceError as exc:
                errors.append(f"{loc}: {exc}")
                continue
            merged.extend(items)
        if fetched and len(errors) == fetched:
            raise ParseError(f"every child sitemap failed; first: {errors[0]}")
        return merged
