"""``page``: a section or front page; every article link on it is an entry.

With ``selector`` (a CSS selector) the user says where the article links are: every ``<a href>`` matched, or
inside a matched element, is taken. Without one, heuristics pick article links, in this order:

1. absolute http(s) after resolving against the page URL (and ``<base href>``), fragment dropped;
2. same site (the page's host, ignoring ``www.``, or one of its subdomains);
3. not inside ``nav``/``header``/``footer``/``aside`` or an element whose class/id says menu, nav, footer,
   breadcrumb, share, cookie or sidebar;
4. not a listing or utility path (tag, category, author, login, search, page 2, feeds, images …);
5. an article-like path (a date, a long numeric id, a slug of three or more words, ``.html``) with anchor
   text of a headline's length, or a headline-length anchor on a deep slug path.

A link that appears twice (image and headline) is one entry with the longer text. Entries keep page order.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import lxml.etree
import lxml.html
from cssselect import SelectorError

from watchers.charsets import decode
from watchers.entries import FeedEntry
from watchers.errors import ParseError
from watchers.fetch import FetchPolicy
from watchers.politeness import HostGate
from watchers.sources.base import HTML_ACCEPT, SourceListing, SourceSpec, conditional_fetch
from watchers.urls import is_http_url

DEFAULT_MAX_ITEMS = 50
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form"})
_BOILERPLATE_NAMES = re.compile(
    r"(^|[\s_-])(nav|navbar|navigation|menu|footer|breadcrumbs?|share|social|cookie|consent|sidebar|"
    r"masthead|skip|pagination|pager)($|[\s_-])",
    re.IGNORECASE,
)
_UTILITY_PATH = re.compile(
    r"/(tags?|category|categories|topics?|section|sections|authors?|people|profile|login|log-in|signin|"
    r"sign-in|signup|sign-up|register|subscribe|subscription|account|search|about|about-us|contact|"
    r"privacy|terms|cookies?|newsletters?|feeds?|rss|page|help|faq|jobs|careers|"
    r"advertise|impressum)(/|$|\.)",
    re.IGNORECASE,
)
_NOT_A_PAGE = re.compile(r"\.(jpe?g|png|gif|webp|svg|pdf|xml|rss|zip|mp3|mp4|css|js)$", re.IGNORECASE)
_DATE_PATH = re.compile(r"/(19|20)\d\d[/-](0?[1-9]|1[0-2])([/-](0?[1-9]|[12]\d|3[01]))?(/|$|-)|/(19|20)\d{6}")
_ID_PATH = re.compile(r"(^|[/_.-])\d{5,}($|[/_.-])")
# Anchor text that is only a date or time ("March 6, 2016 1:46 PM", "2016-03-06"): a permalink, not a title.
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_NUMERIC_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
_DATELINE = re.compile(
    rf"^\W*({_NUMERIC_DATE}|{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}}\.? {_MONTH} \d{{4}})", re.IGNORECASE
)
_HEADLINE_CLASS = re.compile(r"(^|[\s_-])(title|headline|hed)($|[\s_-])", re.IGNORECASE)
_SLUG = re.compile(r"^[\w%]+(-[\w%]+){2,}(\.s?html?)?$", re.UNICODE)


def article_links(html: bytes | str, base_url: str, selector: str | None = None) -> list[tuple[str, str]]:
    """``(url, anchor text)`` of the page's article links, in page order, each URL once."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ParseError(f"not an HTML page: {exc}") from exc
    base = base_url
    for tag in root.iterfind(".//base"):
        if tag.get("href"):
            base = urljoin(base_url, tag.get("href", ""))
            break
    if selector:
        anchors = _selected_anchors(root, selector)
    else:
        anchors = [a for a in root.iterfind(".//a") if not _in_boilerplate(a)]
    found: dict[str, str] = {}
    page_host = _site(base_url)
    for anchor in anchors:
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = _without_fragment(urljoin(base, href))
        if not is_http_url(url):
            continue
        text = _anchor_text(anchor)
        if not selector and (_inline(anchor) or not _looks_like_article(url, text, page_host)):
            continue
        if not selector and url.rstrip("/") == base_url.rstrip("/"):
            continue
        if url not in found or len(text) > len(found[url]):
            found[url] = text
    return list(found.items())


def _selected_anchors(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    try:
        matched = root.cssselect(selector)
    except SelectorError as exc:
        raise ParseError(f"bad CSS selector {selector!r}: {exc}") from exc
    anchors: list[lxml.html.HtmlElement] = []
    for element in matched:
        if element.tag == "a":
            anchors.append(element)
        else:
            anchors.extend(element.iterfind(".//a"))
    return anchors


def _inline(anchor: lxml.html.HtmlElement) -> bool:
    """A link inside running text (a paragraph saying "as she wrote in 2012"), not a headline."""
    parent = anchor.getparent()
    while parent is not None and parent.tag in ("em", "strong", "b", "i", "span"):
        parent = parent.getparent()
    if parent is None or parent.tag not in ("p", "blockquote", "dd"):
        return False
    own = len(" ".join(anchor.text_content().split()))
    return len(" ".join(parent.text_content().split())) > 2 * own + 20


def _in_boilerplate(element: lxml.html.HtmlElement) -> bool:
    node: lxml.html.HtmlElement | None = element
    while node is not None:
        if node.tag in _BOILERPLATE_TAGS:
            return True
        names = f"{node.get('class') or ''} {node.get('id') or ''} {node.get('role') or ''}"
        if names.strip() and _BOILERPLATE_NAMES.search(names):
            return True
        node = node.getparent()
    return False


def _anchor_text(anchor: lxml.html.HtmlElement) -> str:
    """The headline inside the link when it marks one (a heading, a *title*/*headline* class), so photo
    credits and teasers wrapped in the same link stay out; else the link's whole text."""
    for node in anchor.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or _HEADLINE_CLASS.search(
            node.get("class") or ""
        ):
            text = " ".join(node.text_content().split())
            if text:
                return text
    text = " ".join(anchor.text_content().split())
    if not text:
        text = " ".join((anchor.get("title") or anchor.get("aria-label") or "").split())
    if not text:
        for image in anchor.iterfind(".//img"):
            text = " ".join((image.get("alt") or "").split())
            if text:
                break
    return text


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _same_site(url: str, site: str) -> bool:
    host = _site(url)
    return host == site or host.endswith("." + site) or site.endswith("." + host)


def _looks_like_article(url: str, text: str, site: str) -> bool:
    if not _same_site(url, site):
        return False
    path = urlsplit(url).path
    if _UTILITY_PATH.search(path) or _NOT_A_PAGE.search(path):
        return False
    words = len(text.split())
    if words < 3 and len(text) < 15:
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if _DATE_PATH.search(path) or _ID_PATH.search(path) or _SLUG.match(last):
        return True
    return words >= 6 and path.count("/") >= 2 and len(last) >= 12


def _headline(text: str) -> str:
    """The anchor text as a title; empty for a bare dateline, so the article page's own title is used."""
    return "" if len(text.split()) <= 7 and _DATELINE.match(text) else text


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


async def read(
    client: httpx.AsyncClient, policy: FetchPolicy, spec: SourceSpec, *, gate: HostGate | None = None
) -> SourceListing:
    """Fetch the page conditionally and list its article links (at most ``max_items``)."""
    result = await conditional_fetch(client, policy, spec, accept=HTML_ACCEPT, gate=gate)
    if result.not_modified:
        return SourceListing.unchanged(result)
    mime = result.content_type.split(";")[0].strip().lower()
    if mime and "html" not in mime:
        raise ParseError(f"not a page: got {mime}")
    selector = spec.options.get("selector")
    html = decode(result.body, result.content_type).text
    if html.lstrip().startswith("<?xml"):  # lxml refuses text with an encoding declaration
        html = html.split("?>", 1)[-1]
    links = article_links(
        html, result.url, selector if isinstance(selector, str) and selector.strip() else None
    )
    limit = spec.option_int("max_items", DEFAULT_MAX_ITEMS)
    entries = [FeedEntry(url=url, title=_headline(text), guid=None) for url, text in links[:limit]]
    return SourceListing.of(entries, result)
