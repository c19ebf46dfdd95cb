"""One refresh of one source, in the order Miniflux taught us (one early return per stage):

1. read the source with its kind's reader (``watchers.sources``: rss, page, sitemap, search, gdelt), which
   fetches with the saved ETag / Last-Modified where it can; a 304 ends the refresh as a success;
2. a fetch or parse error is recorded on the source's health;
3. canonicalise entry URLs and drop what is stored already (URL or the source's guid);
4. on the source's first poll, entries older than its backfill window (or undated) are stored silently;
5. for each new entry: fetch and extract the page (falling back to the feed's own text), match topics,
   summarise, and store article + story + matches + outbox rows in one transaction;
6. save the cache headers and health (success resets failures; failure backs off exponentially).

Each stage catches only the errors it expects; anything else propagates to the scheduler, which logs it
and records it on the source, so one broken source never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import ClassVar

import httpx
from sqlalchemy import JSON, Table, Update, bindparam, case, func, insert, update

from bot.archive import TopicMatch, content_hash, known_urls, store_article
from bot.extraction_thread import ExtractionThread
from bot.models import Source, SourceEvent, Topic, UTCDateTime, utcnow
from bot.poll_interval import next_interval, publisher_hint
from bot.store import Store
from bot.story_index import Grouping
from watchers.entries import Article, FeedEntry
from watchers.errors import FetchError, QuerySyntaxError, SourceError
from watchers.extract import extract_page, html_to_text
from watchers.fetch import FetchPolicy, fetch
from watchers.match import Query, compile_query
from watchers.politeness import HostGate, RobotsCache
from watchers.query import ArticleText, TopicMatcher
from watchers.sources import SourceListing, SourceSpec, read_source
from watchers.summarise import ExtractiveSummariser, Summariser
from watchers.urls import canonical_url, is_http_url, title_from_url

log = logging.getLogger(__name__)

PAGE_ACCEPT = ("text/html", "application/xhtml+xml;q=0.9", "*/*;q=0.5")
MAX_BACKOFF = timedelta(hours=6)
PAUSE_AFTER_FAILURES = 20
MIN_PAGE_TEXT = 200
EXTRACT_BUDGET_SECONDS = 10.0  # per page; past it the feed's own text stands in
_UNDATED = datetime.min.replace(tzinfo=UTC)  # sort key for entries without a date (they go last)
SOURCES: Table = Source.__table__  # type: ignore[attr-defined]
SOURCE_EVENTS: Table = SourceEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CompiledTopic:
    id: int
    name: str
    query: Query


class CompiledTopics(list[CompiledTopic]):
    """The enabled topics, plus the one matcher they are all compiled into. The matcher is reused while
    the topics stay the same (ids, queries and thresholds), so what it learns survives refreshes: the
    triggers it re-chooses from the articles it sees, and the keys of every word already stemmed."""

    _last: ClassVar[tuple[tuple[tuple[int, str, float], ...], TopicMatcher[int]] | None] = None

    def __init__(self, topics: list[CompiledTopic]) -> None:
        super().__init__(topics)
        same = tuple((t.id, t.query.source, t.query.min_score) for t in topics)
        last = CompiledTopics._last
        if last is not None and last[0] == same:
            self.matcher = last[1]
        else:
            self.matcher = TopicMatcher((t.id, t.query.compiled) for t in topics)
            CompiledTopics._last = (same, self.matcher)


@dataclass(frozen=True)
class RefreshOutcome:
    source_id: int
    source: str
    status: str  # "ok", "not_modified" or "error"
    new_articles: int = 0
    alerts: int = 0
    error: str | None = None


def compile_topics(topics: list[Topic]) -> CompiledTopics:
    """Compile every enabled topic; one with a bad query is skipped (and logged), not fatal."""
    compiled = []
    for topic in topics:
        try:
            assert topic.id is not None
            query = compile_query(topic.query, topic.min_score)
            compiled.append(CompiledTopic(topic.id, topic.name, query))
        except QuerySyntaxError as exc:
            log.warning("topic_skipped topic=%s error=%s", topic.name, exc)
    return CompiledTopics(compiled)


class Refresher:
    """Runs the refresh stages for a source; shares one HTTP client and one page-fetch limit."""

    def __init__(
        self,
        store: Store,
        client: httpx.AsyncClient,
        policy: FetchPolicy,
        *,
        fetch_pages: bool = True,
        summary_chars: int = 400,
        page_concurrency: int = 4,
        grouping: Grouping | None = None,
        summariser: Summariser | None = None,
        gate: HostGate | None = None,
        robots: RobotsCache | None = None,
        pause_after_failures: int = PAUSE_AFTER_FAILURES,
        adaptive: bool = False,
        max_interval: timedelta = MAX_BACKOFF,
        extract_budget: float = EXTRACT_BUDGET_SECONDS,
    ) -> None:
        self.store = store
        self.client = client
        self.policy = policy
        self.fetch_pages = fetch_pages
        self.summary_chars = summary_chars
        self.grouping = grouping or Grouping()
        self.extractive = ExtractiveSummariser(summary_chars)
        self.summariser: Summariser = summariser or self.extractive
        self.extract_budget = extract_budget
        self._pages = asyncio.Semaphore(page_concurrency)
        self.extraction = ExtractionThread()
        self.gate = gate
        self.robots = robots
        self.pause_after_failures = pause_after_failures
        self.adaptive = adaptive
        self.max_interval = max_interval

    async def refresh(
        self,
        source: Source,
        topics: list[CompiledTopic],
        now: datetime | None = None,
        *,
        lease_owner: str | None = None,
    ) -> RefreshOutcome:
        """Refresh ``source`` (as read when it was claimed); ``lease_owner``'s lease on it, if any, is
        released in the same write as the source's health, so a refresh costs one write at the end."""
        now = now or utcnow()
        assert source.id is not None
        spec = SourceSpec(
            kind=source.kind,
            url=source.url,
            options=source.options or {},
            queries=tuple(t.query.source for t in topics),
            etag=source.etag,
            last_modified=source.last_modified,
            validators={url: (v[0], v[1]) for url, v in (source.query_validators or {}).items()},
            body_hash=source.body_hash,
        )
        try:
            listing = await read_source(self.client, self.policy, spec, gate=self.gate)
        except SourceError as exc:
            return self._failed(source, exc, now, lease_owner)
        if listing.not_modified:
            self._succeeded(source, now, listing, entries=[], new=0, lease_owner=lease_owner)
            return RefreshOutcome(source.id, source.name, "not_modified")
        entries = listing.entries
        fresh = self._unseen(source, entries)
        first_poll = source.first_polled_at is None
        cutoff = now - timedelta(seconds=source.backfill_seconds)
        new = alerts = 0
        for entry in fresh:
            alert = not first_poll or (entry.published is not None and entry.published >= cutoff)
            article = await self._article(entry, fetch_page=alert)
            # the backlog stored silently never reaches a chat: it gets the offline summary
            summariser = self.summariser if alert else self.extractive
            summary, matches = await self._summarised(
                summariser, article, self._match(article, topics, source.name)
            )
            # synchronous on purpose: one process stores one article at a time, so two sources refreshed
            # together never open two stories for one event or race on a story's index rows
            stored = store_article(
                self.store,
                source_id=source.id,
                data=article,
                summary=summary,
                matches=matches,
                alert=alert,
                now=now,
                grouping=self.grouping,
            )
            if stored is not None:
                new += 1
                alerts += stored.deliveries
        self._succeeded(source, now, listing, entries=entries, new=new, lease_owner=lease_owner)
        log.info(
            "source_refreshed source_id=%s entries=%d new=%d alerts=%d", source.id, len(entries), new, alerts
        )
        return RefreshOutcome(source.id, source.name, "ok", new_articles=new, alerts=alerts)

    def _unseen(self, source: Source, entries: list[FeedEntry]) -> list[FeedEntry]:
        """Entries not stored yet, each once, oldest first (so stories start with their first report)."""
        unique: dict[str, FeedEntry] = {}
        for entry in entries:
            url = canonical_url(entry.url)
            if url not in unique:
                unique[url] = FeedEntry(
                    url=url,
                    title=entry.title,
                    guid=entry.guid,
                    published=entry.published,
                    summary=entry.summary,
                    content=entry.content,
                    author=entry.author,
                )
        assert source.id is not None
        seen_urls, seen_guids = known_urls(
            self.store, list(unique), [e.guid for e in unique.values() if e.guid], source.id
        )
        fresh = [
            e
            for url, e in unique.items()
            if url not in seen_urls and (not e.guid or e.guid not in seen_guids)
        ]
        return sorted(fresh, key=lambda e: (e.published is None, e.published or _UNDATED))

    async def _article(self, entry: FeedEntry, *, fetch_page: bool) -> Article:
        feed_text = html_to_text(entry.content or entry.summary)
        title = " ".join(html_to_text(entry.title).split()) or feed_text[:120]
        if fetch_page and self.fetch_pages:
            async with self._pages:
                try:
                    page = await fetch(
                        self.client,
                        entry.url,
                        self.policy,
                        accept=PAGE_ACCEPT,
                        gate=self.gate,
                        robots=self.robots,
                    )
                    extracted = await self.extraction.run(
                        partial(
                            extract_page,
                            page.body,
                            url=page.url,
                            content_type=page.content_type,
                            want_author=not entry.author,  # the feed's author and date win below
                            want_date=entry.published is None,
                        ),
                        self.extract_budget,
                    )
                except FetchError as exc:
                    log.info("page_fallback url=%s reason=%s", entry.url, exc)
                except TimeoutError:
                    # The thread cannot be stopped: it is retired and finishes in the background.
                    log.warning(
                        "page_fallback url=%s reason=extraction over %.0fs", entry.url, self.extract_budget
                    )
                else:
                    if len(extracted.text) >= min(MIN_PAGE_TEXT, max(len(feed_text), 1)):
                        identity = self._identity(entry.url, extracted.canonical_url)
                        return Article(
                            url=identity,
                            title=title or extracted.title or title_from_url(entry.url),
                            text=extracted.text,
                            guid=entry.guid,
                            published=entry.published or extracted.published,
                            author=entry.author or extracted.author,
                            language=extracted.language,
                            text_origin="page",
                            content_hash=content_hash(extracted.text),
                            # the feed's link is how the next poll will know this entry
                            extra_urls=(entry.url,) if identity != entry.url else (),
                        )
        return Article(
            url=entry.url,
            title=title or title_from_url(entry.url),
            text=feed_text,
            guid=entry.guid,
            published=entry.published,
            author=entry.author,
            text_origin="feed",
            content_hash=content_hash(feed_text or title),
        )

    @staticmethod
    def _identity(url: str, canonical: str | None) -> str:
        """The page's canonical URL, trusted only on the same host (a page must not claim another's)."""
        if canonical and is_http_url(canonical):
            candidate = canonical_url(canonical)
            if httpx.URL(candidate).host == httpx.URL(url).host:
                return candidate
        return url

    @staticmethod
    async def _summarised(
        summariser: Summariser, article: Article, matches: list[TopicMatch]
    ) -> tuple[str, list[TopicMatch]]:
        """The article's summary, and for each matched topic what the article says about that topic."""
        text = article.text or article.title
        summary = await summariser.summarise(article.title, text)
        per_topic = [
            TopicMatch(m.topic_id, m.result, await summariser.summarise(article.title, text, m.result.terms))
            for m in matches
        ]
        return summary, per_topic

    @staticmethod
    def _match(article: Article, topics: list[CompiledTopic], source: str) -> list[TopicMatch]:
        """Every topic the article matches, from one pass of the all-topics matcher."""
        if not topics:
            return []
        matcher = topics.matcher if isinstance(topics, CompiledTopics) else CompiledTopics(topics).matcher
        found = matcher.match(ArticleText(article.title, article.text, source, article.language))
        return [TopicMatch(topic_id, result) for topic_id, result in found]

    def _succeeded(
        self,
        source: Source,
        now: datetime,
        listing: SourceListing,
        *,
        entries: list[FeedEntry],
        new: int,
        lease_owner: str | None = None,
    ) -> None:
        """Save cache headers and health in one UPDATE. ``source`` is the row as claimed: its lease keeps
        other pollers off it, and only health and fetch columns are written (never ``paused``)."""
        values = {
            "source_id": source.id,
            "set_etag": listing.etag,
            "set_last_modified": listing.last_modified,
            "set_body_hash": listing.body_hash,
            "set_first_polled_at": source.first_polled_at or now,
            "now": now,
            "set_next_poll_at": now + _jittered(self._interval(source, now, listing, entries)),
            "new_entry_at": now if new else None,
            "owner": lease_owner,
            "set_query_validators": (
                {url: list(v) for url, v in listing.validators.items()}
                if listing.validators is not None
                else source.query_validators
            ),
        }
        with self.store.engine.begin() as connection:  # no ORM session: this runs for every source polled
            saved = connection.execute(_SAVE_SUCCESS, values)
            recovered = source.consecutive_failures >= max(1, self.pause_after_failures // 2)
            if getattr(saved, "rowcount", 0) == 1 and recovered:
                connection.execute(
                    insert(SOURCE_EVENTS).values(
                        source_id=source.id, at=now, kind="recovered", detail="polling succeeds again"
                    )
                )

    def _interval(
        self, row: Source, now: datetime, listing: SourceListing, entries: list[FeedEntry]
    ) -> timedelta:
        """The configured interval, or the adaptive one (``bot.poll_interval``) when that is on."""
        every = timedelta(seconds=row.every_seconds)
        if not self.adaptive:
            return every
        previous = None
        if row.next_poll_at is not None and row.last_polled_at is not None and row.consecutive_failures == 0:
            previous = row.next_poll_at - row.last_polled_at
        return next_interval(
            every,
            self.max_interval,
            now=now,
            published=[e.published for e in entries],
            previous=previous if previous and previous > timedelta(0) else None,
            not_modified=listing.not_modified,
            hint=publisher_hint(listing.response.body, listing.response.headers)
            if listing.response
            else None,
        )

    def _failed(
        self, source: Source, exc: SourceError, now: datetime, lease_owner: str | None = None
    ) -> RefreshOutcome:
        assert source.id is not None
        message = str(exc)
        with self.store.session() as session:
            row = session.get(Source, source.id)
            if row is not None:
                row.last_polled_at = now
                row.consecutive_failures += 1
                row.last_error = message
                delay = timedelta(seconds=row.every_seconds) * (2 ** min(row.consecutive_failures - 1, 10))
                retry_after = getattr(exc, "retry_after", None)
                if retry_after:
                    delay = max(timedelta(seconds=row.every_seconds), timedelta(seconds=retry_after))
                row.next_poll_at = now + _jittered(min(delay, max(self.max_interval, retry_delay(exc))))
                if row.consecutive_failures >= self.pause_after_failures and not row.paused:
                    row.paused = True
                    session.add(
                        SourceEvent(
                            source_id=source.id,
                            at=now,
                            kind="paused",
                            detail=f"paused after {row.consecutive_failures} failures: {message}",
                        )
                    )
                if lease_owner is not None and row.lease_owner == lease_owner:
                    row.lease_until = row.lease_owner = None
                session.add(row)
        log.warning("source_failed source_id=%s source=%s error=%s", source.id, source.name, message)
        return RefreshOutcome(source.id, source.name, "error", error=message)


def _save_success_statement() -> Update:
    """Health, cache headers and (when ``owner`` holds it) the lease release of a successful refresh, as one
    statement built once: a 304 cycle runs it for every source, so building and keying it per call showed."""
    mine = SOURCES.c.lease_owner == bindparam("owner")  # NULL owner: never true, nobody's lease is touched
    return (
        update(SOURCES)
        .where(SOURCES.c.id == bindparam("source_id"))
        .values(
            etag=bindparam("set_etag"),
            last_modified=bindparam("set_last_modified"),
            body_hash=bindparam("set_body_hash"),
            query_validators=bindparam("set_query_validators", type_=JSON()),
            first_polled_at=bindparam("set_first_polled_at"),
            last_polled_at=bindparam("now"),
            last_success_at=bindparam("now"),
            consecutive_failures=0,
            last_error=None,
            next_poll_at=bindparam("set_next_poll_at"),
            last_new_entry_at=func.coalesce(
                bindparam("new_entry_at", type_=UTCDateTime()), SOURCES.c.last_new_entry_at
            ),
            lease_until=case((mine, None), else_=SOURCES.c.lease_until),
            lease_owner=case((mine, None), else_=SOURCES.c.lease_owner),
        )
    )


_SAVE_SUCCESS = _save_success_statement()


def retry_delay(exc: SourceError) -> timedelta:
    """What the server asked for with Retry-After (zero when it did not)."""
    return timedelta(seconds=getattr(exc, "retry_after", None) or 0)


def _jittered(delay: timedelta) -> timedelta:
    """Up to 10 % later, so sources configured alike do not all poll in the same second."""
    return delay * (1 + random.random() * 0.1)
