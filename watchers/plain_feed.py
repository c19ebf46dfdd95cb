"""Plain RSS 2.0 and Atom 1.0 feeds read with lxml, to the entry fields feedparser gives ``parse_feed``.

feedparser spends about 0.65 ms on an entry (a Python SAX handler, its dict class, a URL join per element);
lxml reads the same ordinary feed in a fraction of that. ``read_plain_feed`` returns each entry as a plain
dict with the keys ``watchers.feeds._entry`` reads from a feedparser entry (``link``, ``links``, ``id``,
``title``, ``summary``, ``content``, ``author``, ``published_parsed``, ``updated_parsed``), filled the way
feedparser's handlers fill them, item child by item child. Anything it cannot reproduce exactly returns
None, and feedparser reads the whole feed: a DOCTYPE, an XML error, ``xml:base``, a C1 control character
(feedparser maps those as windows-1252), an element or attribute outside the verified lists, a repeated
field, a date format other than plain RFC 822 or ISO 8601.

Titles, summaries and content are only ever read through ``html_to_text``, so feedparser's HTML sanitiser is
not redone: markup that could read differently sanitised (a tag outside ``_SIMPLE_TAGS``, a comment, a
stray ``<`` or ``&``) declines the feed instead. ``tests/watchers/test_plain_feed.py`` compares the two.
"""

from __future__ import annotations

import calendar
import html.entities
import re
import time
import urllib.parse
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import feedparser.api
import feedparser.mixin
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_AUTHOR_PARTS = {f"{ATOM}name": "name", f"{ATOM}email": "email", f"{ATOM}uri": "href"}
_REPEATABLE = {"category", "link", "enclosure", "dc_subject"}
_RSS_ATTRIBUTES = {"guid": {"isPermaLink"}, "enclosure": {"url", "length", "type"}, "category": {"domain"}}
_RSS_ATTRIBUTES["source"] = {"url"}
_ATOM_LINK_ATTRIBUTES = {"href", "rel", "type", "title", "hreflang", "length"}
# childless extension elements whose feedparser handlers touch no field we read (tags, media, images)
_HARMLESS_EXTENSIONS = {"dc_subject", "media_content", "media_thumbnail", "itunes_image", "itunes_explicit"}
_HARMLESS_EXTENSIONS |= {"itunes_block", "itunes_keywords"}
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_READ_KEYS = {"link", "links", "id", "title", "summary", "content", "author"}
_READ_KEYS |= {"published_parsed", "updated_parsed"}
# a subset of feedparser's _HTMLSanitizer.acceptable_elements that it and lxml.html read the same way
_SIMPLE_TAG_NAMES = (
    "a abbr acronym b big blockquote br caption center cite code dd del dfn div dl dt em font h1 h2 h3 h4 "
    "h5 h6 hr i img ins kbd li ol p pre q s samp small span strike strong sub sup table tbody td tfoot th "
    "thead tr tt u ul var"
)
_SIMPLE_TAGS = frozenset(_SIMPLE_TAG_NAMES.split())
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")
_AMPERSAND = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*);|#([0-9]{1,7});|#[xX]([0-9A-Fa-f]{1,6});|(?![A-Za-z#]))")
# every start tag feedparser could take for an item or entry (and, harmlessly, such text in CDATA)
_ITEM_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:[Ii][Tt][Ee][Mm]|[Ee][Nn][Tt][Rr][Yy])[\s/>]")
# U+0080..U+009F, as UTF-8 or as a character reference (and, harmlessly, a few references just below)
_C1 = re.compile(rb"\xc2[\x80-\x9f]")
_C1_REFERENCE = re.compile(rb"&#(?:0*1[2-5][0-9]|[xX]0*[89][0-9A-Fa-f]);")
# an absolute http(s) URL that urljoin returns unchanged: nothing for urlsplit to strip or to normalise
_PLAIN_URL = re.compile(
    r"https?://[A-Za-z0-9.\-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%!$&'()*+,=:@/\-]*)?(?:\?[^#\s;]+)?"
)
# any attribute named base (xml:base among them) moves feedparser's base URI; XPath objects take a lock
_BASE_ATTRIBUTE = etree.XPath("boolean(//@*[translate(local-name(), 'BASE', 'base') = 'base'])")
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? (GMT|UT|Z|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[+-]\d{4})"
)
_ISO8601 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(), 1)}
_ZONES = {"GMT": 0, "UT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6}
_ZONES |= {"PST": -8, "PDT": -7}
_NAMESPACES = {uri.lower(): prefix for uri, prefix in feedparser.mixin._FeedParserMixin.namespaces.items()}
_STANDARD = {prefix for prefix in _NAMESPACES.values() if prefix}
_VERSION_URIS = {b"http://purl.org/rss/1.0/", b"http://my.netscape.com/rdf/simple/0.9/"}
_NS_DECLARATION = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']""")
_looks_like_html = feedparser.mixin._FeedParserMixin.looks_like_html


class _Decline(Exception):
    """Something feedparser might read differently: the whole feed goes to feedparser."""


def read_plain_feed(data: bytes, url: str) -> list[dict[str, Any]] | None:
    """The entries of a plain RSS 2.0 or Atom 1.0 feed (UTF-8, already through ``guard_xml``) as feedparser
    would fill them, or None when feedparser must read it."""
    if b"<!DOCTYPE" in data[:65536] or _C1.search(data) or _C1_REFERENCE.search(data):
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
        docinfo: Any = root.getroottree().docinfo
        if docinfo.doctype or _BASE_ATTRIBUTE(root):
            return None  # a DOCTYPE past the first 64 KiB, or a base attribute
        if root.tag == "rss" and root.get("version") in ("2.0", "0.91", "0.92") and len(root) == 1:
            items = list(root[0].iterchildren("item")) if root[0].tag == "channel" else []
            entries = [_rss_item(item, url) for item in items]
        elif root.tag == f"{ATOM}feed":
            items = list(root.iterchildren(f"{ATOM}entry"))
            entries = [_atom_entry(entry, url) for entry in items]
        else:
            return None
        if len(_ITEM_TAG.findall(data)) != len(items):
            return None  # an item where feedparser would also see one (outside the channel, in an image)
        if any(set(item.keys()) - {_XML_LANG} for item in items):
            return None  # rdf:about is an id to feedparser, CDF's href a link and lastmod a date
        if not _plain_namespaces(data, root):
            return None
    except (etree.XMLSyntaxError, _Decline):
        return None
    return entries


def _plain_namespaces(data: bytes, root: Any) -> bool:
    """False when a namespace declaration would make feedparser name elements differently from us.

    feedparser maps a declared prefix to its standard one and then looks standard prefixes up in that map
    again, so ``xmlns:content`` bound to the Dublin Core URI renames ``content:encoded``; and in an Atom
    feed an RSS 1.0 or 0.90 namespace declared first would set the feed's version.
    """
    renamed = set()
    for given, uri in _NS_DECLARATION.findall(data):
        if b"&" in uri or (root.tag != "rss" and uri.lower() in _VERSION_URIS):
            return False
        standard = _NAMESPACES.get(uri.decode("utf-8", "replace").lower())
        if given and standard is not None and given.decode() != standard and given.decode() in _STANDARD:
            renamed.add(given.decode())
    if not renamed:
        return True
    for element in root.iter():  # rare: only feeds with such a declaration get here
        tag = element.tag
        if isinstance(tag, str) and _NAMESPACES.get(tag[1:].partition("}")[0].lower()) in renamed:
            return False
    return True


def _rss_item(item: Any, base: str) -> dict[str, Any]:
    """One RSS ``<item>``, its children in document order as feedparser's handlers see them."""
    raw: dict[str, Any] = {"links": []}
    seen: set[str] = set()
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # a comment or processing instruction: SAX does not report them
        name = _extension_name(tag) if tag[0] == "{" else tag
        if name in seen and name not in _REPEATABLE:
            raise _Decline
        seen.add(name)
        keys = child.keys()
        free = name in _HARMLESS_EXTENSIONS or name.startswith(_EXTENSION)
        if len(child) or (keys and not free and not set(keys) <= _RSS_ATTRIBUTES.get(name, set())):
            raise _Decline
        text = _popped(child.text)
        if name == "title":
            html_like = ("<" in text or "&" in text) and _looks_like_html(text)
            raw["title"] = _markup(text) if html_like else text
        elif name == "link":
            link = _urljoin(base, text) if text else text
            if "&" in link:
                link = re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", link.replace("&amp;", "&"))
            raw["link"] = link
            raw["links"].append({"href": raw["link"]} if raw["link"] else {})
        elif name == "guid":
            _guid(raw, text, child.get("isPermaLink", "true") == "true", base)
        elif name == "description":
            raw["summary"] = _markup(text)
        elif name == "content_encoded":
            raw["content"] = [{"value": _markup(text)}]
            raw.setdefault("summary", raw["content"][0]["value"])
        elif name in ("pubDate", "dc_date"):
            raw["published_parsed" if name == "pubDate" else "updated_parsed"] = _date(text)
        elif name in ("author", "dc_creator"):
            raw["author"] = text  # feedparser keeps "jane@example.com (Jane)" whole in ``author``
        elif name == "enclosure":
            href = child.get("url")
            raw["links"].append({"href": href} if href else {})
        elif name not in ("category", "comments", "source") and not free:
            raise _Decline
    return raw


_EXTENSION = "\x00"  # prefix of names _extension_name gives to elements feedparser stores and ignores


def _extension_name(tag: str) -> str:
    """feedparser's name for a namespaced element: ``content_encoded``, ``dc_creator``; an unknown
    element it only stores under its own key comes back prefixed with ``_EXTENSION``."""
    uri, _, local = tag[1:].partition("}")
    prefix = _NAMESPACES.get(uri.lower())
    if not prefix:
        raise _Decline  # Atom/RSS 1.0 core elements in a feed of the other kind, or an unknown namespace
    name = f"{prefix}_{local.lower()}"
    if name in ("content_encoded", "dc_creator", "dc_date") or name in _HARMLESS_EXTENSIONS:
        return name
    known = feedparser.api.StrictFeedParser
    if hasattr(known, f"_start_{name}") or hasattr(known, f"_end_{name}") or name in _READ_KEYS:
        raise _Decline
    return _EXTENSION + name


def _atom_entry(entry: Any, base: str) -> dict[str, Any]:
    """One Atom ``<entry>``: what feedparser's handlers store, in document order (an ``id`` before any
    alternate link stands in as the link, the way feedparser's guid handling does it)."""
    raw: dict[str, Any] = {"links": []}
    seen: set[str] = set()
    for child in entry:
        if not isinstance(child.tag, str):
            continue
        if not child.tag.startswith(ATOM):
            extension = _extension_name(child.tag)
            if len(child) or not (extension in _HARMLESS_EXTENSIONS or extension.startswith(_EXTENSION)):
                raise _Decline
            continue
        name = child.tag[len(ATOM) :]
        if name in seen and name not in _REPEATABLE:
            raise _Decline
        seen.add(name)
        if name == "link":
            _atom_link(raw, child, base)
            continue
        if name in ("author", "contributor"):
            author = _atom_author(child)  # a contributor's parts are checked the same way, and not used
            if name == "author":
                raw["author"] = author
            continue
        if name in ("category", "rights"):
            continue  # tags; rights text is stored apart (whatever its markup)
        kind = child.get("type", "text").lower()
        if set(child.keys()) - {"type"} or (len(child) and kind != "xhtml"):
            raise _Decline
        text = _popped(child.text)
        if name == "id":
            _guid(raw, text, True, base)
        elif name in ("published", "updated"):
            raw[f"{name}_parsed"] = _date(text)
        elif name in ("title", "summary", "content"):
            if kind == "xhtml":
                value = _xhtml(child)
            elif kind in ("text", "html"):
                value = _markup(text) if kind == "html" else text
            else:
                raise _Decline  # a media type: feedparser's own rules
            if name == "content":
                raw["content"] = [{"value": value}]
                raw.setdefault("summary", value)
            else:
                raw[name] = value
        else:
            raise _Decline
    return raw


def _atom_link(raw: dict[str, Any], link: Any, base: str) -> None:
    if len(link) or (link.text or "").strip() or not set(link.keys()) <= _ATOM_LINK_ATTRIBUTES:
        raise _Decline
    href = link.get("href")
    if href is None:
        raise _Decline  # feedparser then reads the element's text as the link
    href = _urljoin(base, href)
    raw["links"].append({"href": href})
    kind = link.get("type", "text/html").lower()  # feedparser also reads "html" and "xhtml" as HTML types
    if link.get("rel", "alternate").lower() == "alternate" and kind in _HTML_TYPES:
        raw["link"] = href


def _atom_author(author: Any) -> str:
    """feedparser's ``author``: "name (email)", the name, or the email; name and email are taken as is."""
    parts: dict[str, str] = {}
    for child in author:
        if not isinstance(child.tag, str):
            continue
        if child.tag not in _AUTHOR_PARTS or len(child) or child.keys() or _AUTHOR_PARTS[child.tag] in parts:
            raise _Decline
        parts[_AUTHOR_PARTS[child.tag]] = (child.text or "").strip()
    if (author.text or "").strip():
        raise _Decline
    name, email = parts.get("name"), parts.get("email")
    if name and email:
        return f"{name} ({email})"
    return name or email or ""


def _xhtml(node: Any) -> str:
    """feedparser's value for an xhtml text construct: the markup inside, one wrapping ``<div>`` taken off."""
    around = (node.text or "") + (node[0].tail or "") if len(node) == 1 else "x"
    if not around.strip() and node[0].tag == f"{XHTML}div":
        node = node[0]
    for element in node.iterdescendants():
        if not isinstance(element.tag, str) or not element.tag.startswith(XHTML):
            raise _Decline  # a comment, or markup from another namespace (SVG, MathML)
    inner = escape(node.text or "") + "".join(etree.tostring(c, encoding=str) for c in node)
    markup = _popped(inner.replace(f' xmlns="{XHTML[1:-1]}"', ""))
    if "xmlns" in markup:
        raise _Decline
    return _markup(markup)


def _guid(raw: dict[str, Any], text: str, permalink: bool, base: str) -> None:
    """feedparser resolves a permalink guid against the feed URL and lets it stand in for a missing link."""
    value = _urljoin(base, text) if permalink and text else text
    raw["id"] = value
    if permalink:
        raw.setdefault("link", value)


def _popped(text: str | None) -> str:
    """The text as feedparser's ``pop`` leaves it: stripped, and UTF-8 read as Latin-1 undone."""
    value = (text or "").strip()
    if value.isascii():
        return value
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):  # the usual case: text that is what it says
        return value


def _markup(value: str) -> str:
    """``value`` when html_to_text reads it the same before and after feedparser's sanitiser, else decline."""
    if "<" in value:
        tags = _TAG.findall(value)
        if len(tags) != value.count("<") or any(t[1].lower() not in _SIMPLE_TAGS for t in tags):
            raise _Decline
    if "&" in value:
        refs = _AMPERSAND.findall(value)
        if len(refs) != value.count("&"):
            raise _Decline
        for name, decimal, hexadecimal in refs:
            if name and name not in html.entities.name2codepoint:
                raise _Decline
            number = int(decimal) if decimal else int(hexadecimal or "0", 16)
            if (decimal or hexadecimal) and not (32 <= number < 127 or 160 <= number < 0xD800):
                raise _Decline  # feedparser maps 128-159 as windows-1252; lxml does not
    return value


def _urljoin(base: str, uri: str) -> str:
    """feedparser's ``_urljoin``: extra slashes after the scheme dropped, then ``urljoin``."""
    if _PLAIN_URL.fullmatch(uri):
        return uri  # what urljoin returns for it, without its cost (the property test checks)
    uri = _URI_FIXER.sub(r"\1\3", uri)
    try:
        return urllib.parse.urljoin(base, uri)
    except ValueError:
        return ""


def _date(text: str) -> time.struct_time | None:
    """A UTC ``struct_time`` equal to feedparser's for plain RFC 822 and ISO 8601 dates; declines others."""
    if not text:
        return None
    rfc = _RFC822.fullmatch(text)
    iso = None if rfc else _ISO8601.fullmatch(text)
    if rfc:
        day, month, year, hour, minute, second, zone = rfc.groups()
        fields = (int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second or 0))
    elif iso:
        year, month, day, hour, minute, second, zone = iso.groups()
        fields = (int(year), int(month), int(day), int(hour), int(minute), int(second))
    else:
        raise _Decline
    if zone in _ZONES:
        offset = _ZONES[zone] * 3600
    else:
        offset = (int(zone[1:3]) * 60 + int(zone[-2:])) * (-60 if zone[0] == "-" else 60)
    try:
        datetime(*fields)  # feedparser's parsers build a datetime too: Feb 30 is no date for either
    except ValueError:
        raise _Decline from None
    if not 1900 <= fields[0] <= 9000:
        raise _Decline  # near the ends of datetime's range feedparser may overflow where gmtime would not
    return time.gmtime(calendar.timegm(fields) - offset)
