"""``search``: a search feed URL template with ``{query}``, filled from each enabled topic's query.

One request per topic (the query URL-encoded into the template), each answer parsed as RSS/Atom/JSON
Feed, entries merged in topic order with duplicates dropped. Each topic's request is conditional on its own
validators from the previous poll (``SourceSpec.validators``, by URL), so a search feed that did not change
costs a 304 and no parsing; when every topic's feed answers 304 the poll is "not modified". One topic's
failure is logged and the others still count (its validators are kept); only when every request fails is
the source's poll a failure.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from watchers.entries import FeedEntry
from watchers.errors import SourceError
from watchers.feeds import parse_feed
from watchers.fetch import FetchPolicy, fetch
from watchers.politeness import HostGate
from watchers.sources.base import FEED_ACCEPT, SourceListing, SourceSpec, Validators, every_query_failed

log = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 50
PLACEHOLDER = "{query}"


def search_url(template: str, query: str) -> str:
    """The template with ``{query}`` replaced by the URL-encoded query (spaces as %20, quotes kept safe)."""
    return template.replace(PLACEHOLDER, quote(" ".join(query.split()), safe=""))


async def read(
    client: httpx.AsyncClient, policy: FetchPolicy, spec: SourceSpec, *, gate: HostGate | None = None
) -> SourceListing:
    """One search per topic query; no topics means nothing to search (an empty, successful listing)."""
    limit = spec.option_int("max_items", DEFAULT_MAX_ITEMS)
    entries: dict[str, FeedEntry] = {}
    errors: list[SourceError] = []
    validators: dict[str, Validators] = {}
    unchanged = 0
    queries = list(dict.fromkeys(q for q in spec.queries if q.strip()))
    for query in queries:
        url = search_url(spec.url, query)
        etag, last_modified = spec.validators.get(url, (None, None))
        try:
            result = await fetch(
                client, url, policy, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT, gate=gate
            )
            found = (
                []
                if result.not_modified
                else parse_feed(result.body, url=result.url, content_type=result.content_type)
            )
        except SourceError as exc:
            log.warning("search_failed url=%s query=%r error=%s", spec.url, query, exc)
            errors.append(exc)
            if url in spec.validators:
                validators[url] = spec.validators[url]
            continue
        if result.etag or result.last_modified:
            validators[url] = (result.etag, result.last_modified)
        unchanged += result.not_modified
        for entry in found[:limit]:
            entries.setdefault(entry.url, entry)
    if queries and len(errors) == len(queries):
        raise every_query_failed(errors, "search")
    not_modified = bool(queries) and unchanged == len(queries)
    return SourceListing(list(entries.values()), not_modified=not_modified, validators=validators)
