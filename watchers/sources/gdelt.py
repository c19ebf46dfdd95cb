"""``gdelt``: the GDELT DOC 2.0 API, the open global news monitor, queried once per topic.

The source URL is the API endpoint (``https://api.gdeltproject.org/api/v2/doc/doc``; configurable so tests
and mirrors can stand in). Each poll asks, per enabled topic,
``?query=…&mode=ArtList&format=json&maxrecords=N&timespan=T&sort=DateDesc`` and reads
``{"articles": [{"url", "title", "seendate": "20240101T120000Z", "domain", "language", "sourcecountry"}]}``.
GDELT answers problems (a too-short keyword, a bad operator) with HTTP 200 and a line of plain text, and
"nothing found" with ``{}``; the first is a readable error, the second an empty listing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from watchers.entries import FeedEntry
from watchers.errors import ParseError, SourceError
from watchers.fetch import FetchPolicy, fetch
from watchers.politeness import HostGate
from watchers.sources.base import JSON_ACCEPT, SourceListing, SourceSpec, every_query_failed
from watchers.timestamps import parse_gdelt_datetime
from watchers.urls import is_http_url

log = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 75
MAX_RECORDS = 250  # the API's own ceiling
DEFAULT_TIMESPAN = timedelta(hours=1)
MIN_TIMESPAN = timedelta(minutes=15)  # GDELT updates every 15 minutes; shorter spans return nothing
# GDELT asks for at most one request every 5 seconds ("Please limit requests to one every 5 seconds");
# the topics' queries are spaced by this much. A module setting so a local emulation can run faster.
QUERY_PAUSE_SECONDS = 5.0


def timespan_param(span: timedelta) -> str:
    """A duration in GDELT's ``timespan`` syntax (``15min``, ``3h``, ``2d``), at least 15 minutes."""
    minutes = max(int(span.total_seconds() // 60), int(MIN_TIMESPAN.total_seconds() // 60))
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}min"


def query_url(endpoint: str, query: str, *, max_records: int, timespan: timedelta) -> str:
    """The ArtList JSON request for one query (any query string already on ``endpoint`` is kept)."""
    parts = urlsplit(endpoint)
    params = urlencode(
        {
            "query": " ".join(query.split()),
            "mode": "ArtList",
            "format": "json",
            "maxrecords": str(min(max_records, MAX_RECORDS)),
            "timespan": timespan_param(timespan),
            "sort": "DateDesc",
        }
    )
    query_string = f"{parts.query}&{params}" if parts.query else params
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query_string, ""))


def parse_artlist(body: bytes) -> list[FeedEntry]:
    """Entries from an ArtList JSON answer; ParseError carrying GDELT's own message when it is not JSON."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        first = " ".join(text.splitlines()[0].split())[:200]
        raise ParseError(f"GDELT refused the query: {first}") from None
    if not isinstance(doc, dict):
        raise ParseError("not a GDELT answer: JSON without an articles list")
    articles = doc.get("articles", [])
    if not isinstance(articles, list):
        raise ParseError("not a GDELT answer: articles is not a list")
    entries: list[FeedEntry] = []
    for item in articles:
        if not isinstance(item, dict):
            continue
        url = str(item.get("url") or "")
        if not is_http_url(url):
            continue
        entries.append(
            FeedEntry(
                url=url,
                title=" ".join(str(item.get("title") or "").split()),
                guid=None,
                published=parse_gdelt_datetime(str(item.get("seendate") or "")),
            )
        )
    return entries


async def read(
    client: httpx.AsyncClient, policy: FetchPolicy, spec: SourceSpec, *, gate: HostGate | None = None
) -> SourceListing:
    """One ArtList request per topic query, merged; every request failing is the poll's failure."""
    limit = spec.option_int("max_items", DEFAULT_MAX_ITEMS)
    span = timedelta(seconds=spec.option_int("timespan_seconds", int(DEFAULT_TIMESPAN.total_seconds())))
    entries: dict[str, FeedEntry] = {}
    errors: list[SourceError] = []
    queries = list(dict.fromkeys(q for q in spec.queries if q.strip()))
    for index, query in enumerate(queries):
        if index:
            await asyncio.sleep(QUERY_PAUSE_SECONDS)
        url = query_url(spec.url, query, max_records=limit, timespan=span)
        try:
            result = await fetch(client, url, policy, accept=JSON_ACCEPT, gate=gate)
            found = parse_artlist(result.body)
        except SourceError as exc:
            log.warning("gdelt_failed query=%r error=%s", query, exc)
            errors.append(exc)
            continue
        for entry in found[:limit]:
            entries.setdefault(entry.url, entry)
    if queries and len(errors) == len(queries):
        raise every_query_failed(errors, "GDELT query")
    return SourceListing(list(entries.values()))
