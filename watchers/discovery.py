"""Feed auto-discovery: given a site's home page, find the feeds it announces.

Order of trust: the URL is itself a feed (then it is the answer); the page's
``<link rel="alternate" type="application/rss+xml | atom+xml | feed+json | json">`` tags, in page order;
only when the page announces none, a short list of common feed paths (beside the page, then at the site's
root), each one fetched and kept only if it really parses as a feed. Used by ``newswatch sources add``
and, later, the admin chat command.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
import lxml.etree
import lxml.html

from watchers.errors import ParseError, SourceError
from watchers.feeds import parse_feed
from watchers.fetch import FetchPolicy, fetch
from watchers.sources.base import FEED_ACCEPT, HTML_ACCEPT
from watchers.urls import is_http_url

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/feed+json": "JSON Feed",
    "application/json": "JSON Feed",
    "application/rdf+xml": "RDF",
}
COMMON_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml", "/feeds/posts/default")


@dataclass(frozen=True)
class DiscoveredFeed:
    """A feed a page announces (or that we found at a common path); ``title`` may be empty."""

    url: str
    title: str
    format: str


def feeds_in_page(html: bytes | str, base_url: str) -> list[DiscoveredFeed]:
    """The feeds announced by ``<link rel="alternate">`` in ``html``, resolved, each URL once."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    base = base_url
    for tag in root.iterfind(".//base"):
        if tag.get("href"):
            base = urljoin(base_url, tag.get("href", ""))
            break
    found: dict[str, DiscoveredFeed] = {}
    for link in root.iterfind(".//link"):
        rels = (link.get("rel") or "").lower().split()
        mime = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or mime not in FEED_TYPES:
            continue
        url = urljoin(base, (link.get("href") or "").strip())
        if is_http_url(url) and url not in found:
            title = " ".join((link.get("title") or "").split())
            found[url] = DiscoveredFeed(url, title, FEED_TYPES[mime])
    return list(found.values())


async def discover_feeds(client: httpx.AsyncClient, policy: FetchPolicy, url: str) -> list[DiscoveredFeed]:
    """The feeds for ``url`` (a feed URL or a site page); an empty list when none is found.

    Raises ``FetchError`` when ``url`` itself cannot be fetched (blocked, 404, timeout).
    """
    page = await fetch(client, url, policy, accept=(*FEED_ACCEPT[:3], *HTML_ACCEPT))
    try:
        parse_feed(page.body, url=page.url, content_type=page.content_type)
    except ParseError:
        pass
    else:
        return [DiscoveredFeed(page.url, "", "feed")]
    announced = feeds_in_page(page.body, page.url)
    if announced:
        return announced
    here = [urljoin(page.url, path.lstrip("/")) for path in COMMON_PATHS]  # a site in a folder: /blog/feed
    for candidate in dict.fromkeys([*here, *(urljoin(page.url, path) for path in COMMON_PATHS)]):
        try:
            result = await fetch(client, candidate, policy, accept=FEED_ACCEPT)
            if parse_feed(result.body, url=result.url, content_type=result.content_type):
                return [DiscoveredFeed(result.url, "", "feed")]
        except SourceError:
            continue
    return []
