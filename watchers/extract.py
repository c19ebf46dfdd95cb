"""An article page's real text and metadata: trafilatura for the text, the page's own head for identity.

The text is what matching, grouping and summaries read, so menus, cookie banners and "related articles"
must not survive. Identity (canonical URL, language, publication time) comes from ``<link rel=canonical>``,
``og:url``, ``<html lang>`` and ``article:published_time`` because publishers state them there precisely.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import lxml.html
import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.settings import Document, set_date_params, use_config
from trafilatura.utils import load_html

from watchers.charsets import decode
from watchers.hidden import drop_hidden, strip_invisible
from watchers.urls import is_http_url

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 3_000_000
# Precision mode first (it drops "related stories" and teasers that balanced mode keeps); when it finds
# almost nothing, balanced mode gets a second try and the longer text wins. Measured on the
# article-extraction benchmark (bench/bench_extract.py): F1 0.973 against 0.953 for trafilatura's defaults.
RETRY_BELOW_CHARS = 300
_DATE_PARAMS = set_date_params(use_config().getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))
"""The date search settings trafilatura's own extraction uses (its default configuration)."""
# trafilatura's full pass also runs readability and jusText and keeps the best; that comparison is what
# rescues pages where its own pass finds little, and it costs about a third of the time. So the fast pass
# (no comparison) comes first and is kept when it found this much text; a shorter result gets the full
# pass. On the benchmark: F1 0.9731 at 1.4x the pages/s of the full pass alone (0.9708); any threshold
# from 500 to 700 characters gives that F1, 300 and 1,000 give 0.970 and 0.971.
FULL_PASS_BELOW_CHARS = 600


@dataclass(frozen=True)
class PageText:
    """The extracted parts of one page; ``text`` is empty when extraction found no article."""

    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None


def extract_page(
    html: bytes | str, *, url: str, content_type: str = "", want_author: bool = True, want_date: bool = True
) -> PageText:
    """Extract ``html`` fetched from ``url`` (bytes decoded by ``charsets.decode`` with the response's
    ``content_type``); never raises for bad markup (returns empty text instead).

    ``want_author`` / ``want_date`` false: the caller has its own (the feed's, which it prefers), so the
    page is not searched for them beyond its head. Those searches (bylines by a dozen patterns over a copy
    of the page, dates by htmldate) were about a sixth of extraction on real pages."""
    if isinstance(html, bytes):
        html = decode(html[:MAX_PAGE_BYTES], content_type).text
    else:
        html = html[:MAX_PAGE_BYTES]
    try:
        # parsed once: hidden elements are dropped from this tree, the head is read from it, and
        # trafilatura works on copies of it (parsing, serialising and parsing again cost a sixth of
        # extraction)
        tree = load_html(html)
    except Exception as exc:  # hostile markup can break the parser in many ways; never the poll
        log.warning("html_unreadable url=%s error=%s", url, exc)
        tree = None
    if tree is None:
        return PageText(text="")
    drop_hidden(tree)
    head = _head_metadata(tree)
    doc = _trafilatura(tree, url, favor_precision=True, fast=True)
    if doc is None or len((doc.text or "").strip()) < FULL_PASS_BELOW_CHARS:
        doc = _trafilatura(tree, url, favor_precision=True)
    if doc is None or len((doc.text or "").strip()) < RETRY_BELOW_CHARS:
        balanced = _trafilatura(tree, url, favor_precision=False)
        if balanced is not None and len(balanced.text or "") > len((doc.text or "") if doc else ""):
            doc = balanced
    text = ""
    title = head.get("title")
    author = None
    published = _parse_time(head.get("published"))
    if doc is not None:
        text = strip_invisible(doc.text or "").strip()
        try:
            found = _page_metadata(
                tree,
                url,
                need_title=not title,
                need_author=want_author,
                need_date=want_date and not published,
            )
        except Exception as exc:  # as in _trafilatura: hostile markup must cost the metadata, not the poll
            log.warning("metadata_failed url=%s error=%s", url, exc)
            found = Document()
        title = title or found.title
        author = found.author
        published = published or _parse_time(found.date)
        if title and text.startswith(title):
            text = text[len(title) :].lstrip()
    return PageText(
        text=text,
        title=title,
        author=author,
        published=published,
        language=head.get("language") or (doc.language if doc is not None else None),
        canonical_url=head.get("canonical"),
    )


def _page_metadata(
    tree: HtmlElement, url: str, *, need_title: bool, need_author: bool, need_date: bool
) -> Document:
    """Title, author and date as trafilatura's ``extract_metadata`` finds them, computed once per page and
    only what is used. Its full run (categories, tags, licence, site name, an extensive date search even
    when the head states the date) took a third of extraction, once per extraction pass. Runs after the
    passes, which work on copies of ``tree``: the date search may prune what it reads."""
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # as extract_metadata does: a one-word "author" is usually a site or a handle
    try:
        found = extract_meta_json(tree, found)
    except Exception as exc:  # trafilatura's JSON-LD reader has bugs on odd markup; the rest still counts
        log.debug("json_ld_unreadable url=%s error=%s", url, exc)
    if need_title and not found.title:
        found.title = extract_title(tree)
    if need_author and not found.author:
        found.author = extract_author(tree)
    if need_date:
        found.date = find_date(tree, **{**_DATE_PARAMS, "url": found.url or extract_url(tree, url)})
    return found


def _trafilatura(
    tree: HtmlElement, url: str, *, favor_precision: bool, fast: bool = False
) -> Document | None:
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            favor_precision=favor_precision,
            fast=fast,
        )
    except Exception as exc:  # trafilatura raises many kinds on hostile markup; one page must not stop a poll
        log.warning("extraction_failed url=%s error=%s", url, exc)
        return None
    return doc if isinstance(doc, Document) else None


def _head_metadata(root: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang:
        found["language"] = lang.split("-")[0].strip().lower()[:8]
    for link in root.iterfind(".//link"):
        if "canonical" in (link.get("rel") or "").lower().split() and is_http_url(link.get("href") or ""):
            found.setdefault("canonical", str(link.get("href")).strip())
    for meta in root.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        value = (meta.get("content") or "").strip()
        if not value:
            continue
        if key == "og:url" and is_http_url(value):
            found.setdefault("canonical", value)
        elif key in ("article:published_time", "og:article:published_time", "date", "dc.date.issued"):
            found.setdefault("published", value)
        elif key == "og:title":
            found.setdefault("title", value)
    return found


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def html_to_text(fragment: str) -> str:
    """Plain text of a feed's HTML description or content, paragraphs kept as lines."""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return " ".join(fragment.split())
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for block in root.xpath(".//p|.//br|.//div|.//li|.//h1|.//h2|.//h3"):
        block.tail = "\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)
