"""Every kind of source behind one call: ``await read_source(client, policy, spec)``.

| kind      | reads                                                      | module    |
|-----------|------------------------------------------------------------|-----------|
| rss       | RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed                   | rss.py    |
| page      | a section/front page: its article links                    | page.py   |
| sitemap   | news sitemaps and sitemap indexes (gzip too)               | sitemap.py|
| search    | a search feed URL template, ``{query}`` from each topic    | search.py |
| gdelt     | the GDELT DOC 2.0 API, one query per topic                 | gdelt.py  |
"""

from __future__ import annotations

import httpx

from watchers.errors import ParseError
from watchers.fetch import FetchPolicy
from watchers.politeness import HostGate
from watchers.sources import gdelt, page, rss, search, sitemap
from watchers.sources.base import SourceListing, SourceReader, SourceSpec

READERS: dict[str, SourceReader] = {
    "rss": rss.read,
    "page": page.read,
    "sitemap": sitemap.read,
    "search": search.read,
    "gdelt": gdelt.read,
}
KINDS = tuple(READERS)


async def read_source(
    client: httpx.AsyncClient, policy: FetchPolicy, spec: SourceSpec, *, gate: HostGate | None = None
) -> SourceListing:
    """Read ``spec`` with its kind's reader; an unknown kind is a ParseError naming the known ones."""
    reader = READERS.get(spec.kind)
    if reader is None:
        raise ParseError(f"unknown source kind {spec.kind!r}; known kinds: {', '.join(KINDS)}")
    return await reader(client, policy, spec, gate=gate)


__all__ = ["KINDS", "READERS", "SourceListing", "SourceSpec", "read_source"]
