"""The one interface every kind of source implements: a spec in, a listing of ``FeedEntry`` out.

A reader does its own fetching through the shared client and policy (some kinds need several requests:
a sitemap index, one search per topic), so the pipeline only says *what* to read and stores what is new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from watchers.entries import FeedEntry
from watchers.errors import FetchError, ParseError, SourceError
from watchers.fetch import FetchPolicy, FetchResult, fetch
from watchers.politeness import HostGate

FEED_ACCEPT = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/xml;q=0.9",
    "*/*;q=0.5",
)
HTML_ACCEPT = ("text/html", "application/xhtml+xml;q=0.9", "*/*;q=0.5")
XML_ACCEPT = ("application/xml", "text/xml", "*/*;q=0.5")
JSON_ACCEPT = ("application/json", "*/*;q=0.5")


Validators = tuple[str | None, str | None]
"""``(etag, last_modified)`` of one response, sent back as If-None-Match / If-Modified-Since."""


@dataclass(frozen=True)
class SourceSpec:
    """What to read: the source's URL (a template for ``search``), its options and the topics' queries.

    ``etag``/``last_modified`` are the validators saved from the previous poll for kinds that make one
    request per poll (rss, page, sitemap); ``validators`` holds them per request URL for ``search``, which
    makes one request per topic. GDELT's API answers every query afresh and gets none.
    """

    kind: str
    url: str
    options: Mapping[str, Any] = field(default_factory=dict)
    queries: tuple[str, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    validators: Mapping[str, Validators] = field(default_factory=dict)
    body_hash: str | None = None
    """``body_digest`` of the last listing body parsed (``rss``): the same bytes again cost no parsing."""

    def option_int(self, key: str, default: int) -> int:
        """An integer option, falling back to ``default`` when unset or not an integer."""
        value = self.options.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


@dataclass(frozen=True)
class SourceListing:
    """The entries a source lists now; ``not_modified`` means a 304, so nothing was parsed.

    ``response`` is the one listing response of single-request kinds: the pipeline reads the publisher's
    polling hints (``<ttl>``, Cache-Control) from it for adaptive intervals.
    """

    entries: list[FeedEntry]
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    response: FetchResult | None = None
    validators: dict[str, Validators] | None = None
    """Per request URL (``search``): what to save for the next poll; None for single-request kinds."""
    body_hash: str | None = None
    """What to save as ``SourceSpec.body_hash`` for the next poll."""

    @classmethod
    def unchanged(cls, result: FetchResult, body_hash: str | None = None) -> SourceListing:
        """A 304, or the same bytes as last time: no entries, the validators kept for the next poll."""
        return cls(
            [],
            not_modified=True,
            etag=result.etag,
            last_modified=result.last_modified,
            response=result,
            body_hash=body_hash,
        )

    @classmethod
    def of(cls, entries: list[FeedEntry], result: FetchResult, body_hash: str | None = None) -> SourceListing:
        """What one listing response held, with its validators for the next conditional request."""
        return cls(
            entries,
            etag=result.etag,
            last_modified=result.last_modified,
            response=result,
            body_hash=body_hash,
        )


def body_digest(body: bytes) -> str:
    """A listing body's fingerprint: many feeds send neither ETag nor Last-Modified, or a CDN drops them,
    and answer every poll with the same bytes; comparing digests spares parsing them again."""
    return hashlib.sha256(body).hexdigest()


async def conditional_fetch(
    client: httpx.AsyncClient,
    policy: FetchPolicy,
    spec: SourceSpec,
    *,
    accept: tuple[str, ...],
    gate: HostGate | None,
) -> FetchResult:
    """The one listing request of single-request kinds, sent with the validators of the previous poll."""
    return await fetch(
        client,
        spec.url,
        policy,
        etag=spec.etag,
        last_modified=spec.last_modified,
        accept=accept,
        gate=gate,
    )


class SourceReader(Protocol):
    """``await read(client, policy, spec, gate=…)``: raises ``SourceError`` (a readable sentence) on failure.

    Every request a reader makes goes through ``gate`` (per-host concurrency, spacing and Retry-After).
    """

    async def __call__(
        self,
        client: httpx.AsyncClient,
        policy: FetchPolicy,
        spec: SourceSpec,
        *,
        gate: HostGate | None = None,
    ) -> SourceListing: ...


def every_query_failed(errors: list[SourceError], what: str) -> SourceError:
    """One error for a poll whose every per-topic request failed: the first reason, and the longest
    ``Retry-After`` any of them asked for, so the source's backoff honours it."""
    first = errors[0]
    message = f"every topic's {what} failed; first: {first}"
    waits = [e.retry_after for e in errors if isinstance(e, FetchError) and e.retry_after]
    if isinstance(first, FetchError) or waits:
        status = first.status if isinstance(first, FetchError) else None
        return FetchError(message, status=status, retry_after=max(waits) if waits else None)
    return ParseError(message)
