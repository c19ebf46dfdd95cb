"""``rss``: one feed URL (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed), fetched conditionally."""

from __future__ import annotations

import httpx

from watchers.feeds import parse_feed
from watchers.fetch import FetchPolicy, fetch
from watchers.politeness import HostGate
from watchers.sources.base import FEED_ACCEPT, SourceListing, SourceSpec


async def read(
    client: httpx.AsyncClient, policy: FetchPolicy, spec: SourceSpec, *, gate: HostGate | None = None
) -> SourceListing:
    """Fetch the feed with the saved validators; a 304 returns no entries and costs no parsing."""
    result = await fetch(
        client,
        spec.url,
        policy,
        etag=spec.etag,
        last_modified=spec.last_modified,
        accept=FEED_ACCEPT,
        gate=gate,
    )
    if result.not_modified:
        return SourceListing(
            [], not_modified=True, etag=result.etag, last_modified=result.last_modified, response=result
        )
    entries = parse_feed(result.body, url=result.url, content_type=result.content_type)
    return SourceListing(entries, etag=result.etag, last_modified=result.last_modified, response=result)
