"""``rss``: one feed URL (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed), fetched conditionally."""

from __future__ import annotations

import httpx

from watchers.feeds import parse_feed
from watchers.fetch import FetchPolicy
from watchers.politeness import HostGate
from watchers.sources.base import FEED_ACCEPT, SourceListing, SourceSpec, body_digest, conditional_fetch


async def read(
    client: httpx.AsyncClient, policy: FetchPolicy, spec: SourceSpec, *, gate: HostGate | None = None
) -> SourceListing:
    """Fetch the feed with the saved validators; a 304, or the very bytes parsed last time, returns no
    entries and costs no parsing."""
    result = await conditional_fetch(client, policy, spec, accept=FEED_ACCEPT, gate=gate)
    if result.not_modified:
        return SourceListing.unchanged(result, spec.body_hash)
    digest = body_digest(result.body)
    if digest == spec.body_hash:
        return SourceListing.unchanged(result, digest)
    entries = parse_feed(result.body, url=result.url, content_type=result.content_type)
    return SourceListing.of(entries, result, digest)
