"""The plain data that flows between the stages: a feed entry in, an article out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as the feed describes it (before we fetch the page)."""

    url: str
    title: str
    guid: str | None = None
    published: datetime | None = None
    summary: str = ""
    content: str = ""
    author: str | None = None


@dataclass(frozen=True)
class Article:
    """An article ready to store: canonical URL, real text, and where that text came from.

    ``text_origin`` is ``"page"`` when the text was extracted from the article page and ``"feed"`` when the
    page could not be fetched or extracted and the feed's own content or summary stands in.

    ``extra_urls``: other addresses that led to it, such as the feed's link when the page names another
    canonical URL. They are remembered as aliases, so the entry is known at the next poll.
    """

    url: str
    title: str
    text: str
    guid: str | None = None
    published: datetime | None = None
    author: str | None = None
    language: str | None = None
    text_origin: str = "feed"
    content_hash: str = ""
    extra_urls: tuple[str, ...] = field(default=())
