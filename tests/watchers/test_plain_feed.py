"""``watchers.plain_feed`` against feedparser: every feed it accepts must give the entries feedparser gives.

Entries are compared the way the pipeline reads them: url, guid, published and author exactly; title, summary
and content after ``html_to_text`` (feedparser sanitises them, the plain path does not), and whether
``content`` is empty (``content or summary``). The shared corpus runs when present; the fixtures below are
ours, and name the shapes the plain path must read and the ones it must leave to feedparser.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import feedparser.datetimes
import feedparser.urls
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_feed_corpus import CORPUS, content_type_of, corpus_files

from watchers import plain_feed
from watchers.charsets import feed_bytes
from watchers.entries import FeedEntry
from watchers.errors import ParseError
from watchers.extract import html_to_text
from watchers.feeds import _entries, _parse_with_feedparser, parse_feed
from watchers.xmlguard import guard_xml

URL = "http://feeds.example/news/feed.xml"
RSS_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
    'content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:slash="http://purl.org/rss/1.0/modules/'
    'slash/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"><channel><title>News</title>'
    "<link>http://feeds.example/</link><description>all the news</description>"
)
ATOM_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>'
    "<id>urn:feed</id><updated>2024-01-01T00:00:00Z</updated>"
)


def read(entry: FeedEntry) -> tuple[object, ...]:
    """What the pipeline reads of an entry (``bot.pipeline``: ``_unseen`` and ``_article``)."""
    return (
        entry.url,
        entry.guid,
        entry.published,
        entry.author,
        " ".join(html_to_text(entry.title).split()),
        html_to_text(entry.summary),
        html_to_text(entry.content),
        bool(entry.content),
    )


def both(body: bytes, url: str = URL, content_type: str = "") -> tuple[list[FeedEntry] | None, object]:
    """(the plain path's entries or None when it declines, feedparser's entries or its ParseError text)."""
    data = guard_xml(feed_bytes(body, content_type)[0])
    raw = plain_feed.read_plain_feed(data, url)
    try:
        slow: object = _parse_with_feedparser(data, url=url, content_type=content_type)
    except ParseError as exc:
        slow = f"ParseError: {exc}"
    return (None if raw is None else _entries(raw, url)), slow


def assert_same(body: bytes) -> list[FeedEntry]:
    fast, slow = both(body)
    assert fast, "the plain path declined (or found no entries) where it should read the feed"
    assert isinstance(slow, list)
    assert [read(e) for e in fast] == [read(e) for e in slow]
    return fast


def assert_same_if_read(body: bytes) -> None:
    """Where the plain path reads the feed (random input may be declined), feedparser reads it alike."""
    fast, slow = both(body)
    if fast is not None:
        assert isinstance(slow, list)
        assert [read(e) for e in fast] == [read(e) for e in slow]


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"feed corpus not present at {CORPUS} (a plain clone has none)"
)
def test_every_corpus_feed_the_plain_path_reads_matches_feedparser() -> None:
    taken, matched, differing = 0, 0, []
    for path in corpus_files():
        body = path.read_bytes()
        content_type = content_type_of(path, body)
        if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[", b""):
            continue  # JSON Feed or empty: parse_feed never gets as far
        try:
            fast, slow = both(body, "http://feeds.example/" + path.name, content_type)
        except ParseError:
            continue  # refused by guard_xml before either parser
        if not fast:
            continue  # declined, or no usable entry: parse_feed asks feedparser
        taken += 1
        if isinstance(slow, list) and [read(e) for e in fast] == [read(e) for e in slow]:
            matched += 1
        else:
            differing.append(str(path))
    print(f"\nplain feed path: {taken} corpus files read without feedparser, {matched} identical to it")
    assert not differing, "\n".join(differing[:20])
    assert taken >= 25, "the plain path reads almost nothing of the corpus: a regression in what it accepts"


RSS_RICH = (
    RSS_HEAD
    + """
<item>
  <title>Rates &amp; &lt;b&gt;bonds&lt;/b&gt; rise</title>
  <link>
    /2024/01/rates.html
  </link>
  <description>&lt;p&gt;Central banks &amp;amp; markets&lt;/p&gt;&lt;p&gt;Second&amp;nbsp;line&lt;/p&gt;
  </description>
  <content:encoded><![CDATA[<p>Full <a href="/x">text</a> here &amp; more &#8217;</p>
    <br><ul><li>one</li></ul>]]></content:encoded>
  <dc:creator>Jane Doe</dc:creator>
  <dc:date>2024-01-02T03:04:05Z</dc:date>
  <guid isPermaLink="false">urn:news:1</guid>
</item>
<item><title>Guid only</title><guid> http://feeds.example/2024/guid-only.html </guid>
  <description>x</description>
  <pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
<item><title>Relative permalink guid</title><guid>/2024/relative-guid</guid>
  <pubDate>Tue, 02 Jan 2024 10:00:00 EST</pubDate></item>
<item><title>Guid not a permalink, no link</title><guid isPermaLink="false">http://feeds.example/x</guid></item>
<item><title>No date</title><link>http://feeds.example/nodate</link>
  <author>jane@example.com (Jane Doe)</author></item>
<item><title>Offset</title><link>http://feeds.example/offset?a=1&amp;b=2</link>
  <pubDate>Wed, 3 Jan 2024 09:30 +0100</pubDate><category domain="x">World</category>
  <enclosure url="http://cdn.example/a.mp3" length="1" type="audio/mpeg"/><comments>/c</comments></item>
<item><description>No title, a description with &lt;i&gt;markup&lt;/i&gt;</description>
  <link>https://feeds.example/untitled</link><pubDate>Thu, 04 Jan 2024 23:59:59 PDT</pubDate></item>
<item><title>Enclosure stands in</title><link>mailto:desk@example.com</link>
  <enclosure url="http://cdn.example/b.mp3" type="audio/mpeg"/></item>
<item><title><![CDATA[CDATA <em>title</em> & more]]></title><link>http://feeds.example/cdata</link>
  <description><![CDATA[<p>Tom & Jerry &copy; 2024</p>]]></description></item>
<item><title>Content only</title><link>http://feeds.example/content-only</link>
  <content:encoded>&lt;div&gt;&lt;h2&gt;Head&lt;/h2&gt;Text&lt;/div&gt;</content:encoded></item>
<item><title>Caf\u00c3\u00a9 mojibake</title><link>http://feeds.example/cafe</link></item>
<item><title>   </title><link>http://feeds.example/blank-title</link></item>
<item><title>Extensions</title><link>http://feeds.example/ext</link><media:content url="http://cdn.example/v.mp4"/>
  <media:thumbnail url="http://cdn.example/t.jpg" width="1"/><itunes:explicit>no</itunes:explicit>
  <itunes:image href="http://cdn.example/i.jpg"/><slash:comments>4</slash:comments>
  <wfw:commentRss>http://feeds.example/ext/comments</wfw:commentRss><dc:subject>World</dc:subject>
  <source url="http://elsewhere.example/rss">Elsewhere</source></item>
</channel></rss>"""
)

ATOM_RICH = (
    ATOM_HEAD
    + """
<entry><title type="html">Markets &lt;em&gt;rally&lt;/em&gt; &amp;amp; fall</title>
  <id>tag:feeds.example,2024:1</id>
  <link rel="enclosure" href="http://cdn.example/c.mp3"/><link rel="related" href="http://other.example/r"/>
  <link href="/2024/atom-1.html"/><published>2024-01-02T03:04:05+02:00</published>
  <updated>2024-01-03T00:00:00Z</updated><author><name>Ann</name><email>ann@example.com</email></author>
  <summary>Plain &amp; simple &lt;b&gt;text&lt;/b&gt;</summary>
  <content type="html">&lt;p&gt;Body&lt;/p&gt;</content>
  <category term="x"/></entry>
<entry><id>http://feeds.example/2024/id-as-link</id><summary type="html">&lt;p&gt;untitled&lt;/p&gt;</summary>
  <updated>2024-01-05T10:00:00.123Z</updated></entry>
<entry><title>Text content</title><link rel="alternate" type="text/html" href="http://feeds.example/t"/>
  <content>Plain &lt;b&gt;not bold&lt;/b&gt;</content><author><name>Bob</name><uri>http://bob.example/</uri></author>
</entry>
<entry><title>Only an enclosure</title><link rel="enclosure" href="http://cdn.example/d.mp3"/><id>urn:uuid:1</id>
  <author><email>eve@example.com</email></author></entry>
<entry><title type="text">Link after id</title><id>urn:uuid:2</id>
  <link rel="alternate" href="https://feeds.example/a"/>
  <summary type="text">s</summary><content type="html">&lt;p&gt;longer body&lt;/p&gt;</content></entry>
<entry><title type="xhtml">
  <div xmlns="http://www.w3.org/1999/xhtml">An <em>xhtml</em> &amp; title</div></title>
  <link rel="alternate" type="html" href="http://feeds.example/xhtml"/>
  <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"></div></summary>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>One<br/>two</p>
    <ul><li>a &lt; b</li></ul></div>
  </content><contributor><name>Cy</name></contributor>
  <rights type="html">&lt;b&gt;(c)&lt;/b&gt;</rights></entry>
<entry><title>Unwrapped xhtml</title><link href="http://feeds.example/xhtml-2"/>
  <content type="xhtml"><p xmlns="http://www.w3.org/1999/xhtml">a</p> and
    <b xmlns="http://www.w3.org/1999/xhtml">b</b></content>
</entry>
<entry><link href="http://feeds.example/no-title"/>
  <content type="html">&lt;p&gt;content, no summary&lt;/p&gt;</content>
</entry>
</feed>"""
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(RSS_RICH, id="rss-2.0"),
        pytest.param(RSS_RICH.replace('version="2.0"', 'version="0.92"'), id="rss-0.92"),
        pytest.param(RSS_RICH.replace('version="2.0"', 'version="0.91"'), id="rss-0.91"),
        pytest.param(ATOM_RICH, id="atom-1.0"),
    ],
)
def test_the_plain_path_reads_ordinary_feeds_as_feedparser_does(body: str) -> None:
    entries = assert_same(body.encode())
    assert len(entries) >= 6


def test_the_fixture_details_come_out_as_feedparser_gives_them() -> None:
    """A few values spelled out, so a change in feedparser shows up here as well as in the comparison."""
    rss = {e.title: e for e in assert_same(RSS_RICH.encode())}
    first = rss["Rates & <b>bonds</b> rise"]
    assert (first.url, first.guid, first.author) == (
        "http://feeds.example/2024/01/rates.html",
        "urn:news:1",
        "Jane Doe",
    )
    assert first.published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert rss["Relative permalink guid"].url == "http://feeds.example/2024/relative-guid"
    assert rss["Offset"].published == datetime(2024, 1, 3, 8, 30, tzinfo=UTC)
    assert rss["Enclosure stands in"].url == "http://cdn.example/b.mp3"
    assert rss["No date"].author == "jane@example.com (Jane Doe)"
    assert "Café mojibake" in rss
    atom = {e.url: e for e in assert_same(ATOM_RICH.encode())}
    assert atom["http://feeds.example/2024/atom-1.html"].author == "Ann (ann@example.com)"
    assert atom["http://feeds.example/2024/id-as-link"].published == datetime(2024, 1, 5, 10, tzinfo=UTC)
    assert atom["http://cdn.example/d.mp3"].author == "eve@example.com"
    assert atom["http://feeds.example/xhtml"].summary == ""  # an empty xhtml div is no summary
    assert html_to_text(atom["http://feeds.example/xhtml"].content) == "One\ntwo\na < b"


DECLINED = {
    "xml:base": RSS_HEAD.replace("<channel>", '<channel xml:base="http://elsewhere.example/">')
    + "<item><title>t</title><link>/a</link></item></channel></rss>",
    "unknown element": RSS_HEAD
    + "<item><title>t</title><link>http://a.example/</link><extra>x</extra></item>"
    "</channel></rss>",
    "media title": RSS_HEAD + "<item><media:title>m</media:title><link>http://a.example/</link></item>"
    "</channel></rss>",
    "itunes summary": RSS_HEAD + "<item><title>t</title><link>http://a.example/</link><itunes:summary>s"
    "</itunes:summary></item></channel></rss>",
    "c1 character reference": RSS_HEAD + "<item><title>a&#150;b</title><link>http://a.example/</link></item>"
    "</channel></rss>",
    "xhtml with svg": ATOM_HEAD
    + '<entry><title>t</title><link href="http://a.example/"/><content type="xhtml">'
    '<div xmlns="http://www.w3.org/1999/xhtml"><svg xmlns="http://www.w3.org/2000/svg"><title>x</title></svg>'
    "</div></content></entry></feed>",
    "atom link in an RSS item": RSS_HEAD.replace("<rss ", '<rss xmlns:atom="http://www.w3.org/2005/Atom" ')
    + '<item><title>t</title><atom:link href="http://a.example/"/></item></channel></rss>',
    "malformed": RSS_HEAD + "<item><title>t</title><link>http://a.example/</link></channel></rss>",
    "doctype": '<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
    '"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>N</title>'
    "<item><title>t</title><link>http://a.example/</link></item></channel></rss>",
    "odd date": RSS_HEAD + "<item><title>t</title><link>http://a.example/</link><pubDate>2024/01/02</pubDate>"
    "</item></channel></rss>",
    "repeated title": RSS_HEAD + "<item><title>a</title><title>b</title><link>http://a.example/</link></item>"
    "</channel></rss>",
    "script in a description": RSS_HEAD + "<item><title>t</title><link>http://a.example/</link><description>"
    "&lt;script&gt;x()&lt;/script&gt;</description></item></channel></rss>",
    "comment in markup": RSS_HEAD + "<item><title>t</title><link>http://a.example/</link><description>"
    "a&lt;!-- more --&gt;b</description></item></channel></rss>",
    "prefixed xhtml": ATOM_HEAD
    + '<entry><title>t</title><link href="http://a.example/"/><content type="xhtml">'
    '<x:div xmlns:x="http://www.w3.org/1999/xhtml"><x:p>x</x:p></x:div></content></entry></feed>',
    "atom 0.3": '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title>t</title>'
    '<link rel="alternate" type="text/html" href="http://a.example/"/></entry></feed>',
    "cdf date on an item": RSS_HEAD + '<item lastmod="2024-01-01T00:00:00Z"><title>t</title>'
    "<link>http://a.example/</link></item></channel></rss>",
    "cdf link on an entry": ATOM_HEAD + '<entry href="http://cdf.example/y"><title>t</title></entry></feed>',
    "swapped prefixes": '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/dc/elements/'
    '1.1/" xmlns:dc="http://purl.org/rss/1.0/modules/content/"><channel><title>N</title><item><title>t</title>'
    "<link>http://a.example/</link><dc:encoded>&lt;p&gt;body&lt;/p&gt;</dc:encoded></item></channel></rss>",
    "rss 1.0 namespace in atom": ATOM_HEAD.replace("<feed ", '<feed xmlns:r="http://purl.org/rss/1.0/" ')
    + '<entry><title>t</title><link href="http://a.example/"/></entry></feed>',
    "c1 control": RSS_HEAD
    + "<item><title>a\u0096b</title><link>http://a.example/</link></item></channel></rss>",
}


@pytest.mark.parametrize("body", DECLINED.values(), ids=DECLINED.keys())
def test_unusual_feeds_are_left_to_feedparser(body: str) -> None:
    fast, slow = both(body.encode())
    assert fast is None
    try:
        parse_feed(body.encode(), url=URL)
    except ParseError:
        assert isinstance(slow, str)  # feedparser's own verdict, unchanged
    else:
        assert isinstance(slow, list)


_FRAGMENTS = st.sampled_from(
    [
        "<b>",
        "</b>",
        "<p>",
        "</p>",
        "<br/>",
        "<br>",
        '<a href="/x?a=1&amp;b=2">',
        "</a>",
        "<em>",
        "</em>",
        "<li>",
        "<div>",
        "</div>",
        "<h2>",
        "<script>",
        "</script>",
        "<span",
        "<!-- c -->",
        "&amp;",
        "&lt;",
        "&nbsp;",
        "&copy;",
        "&copy",
        "&#8217;",
        "&#150;",
        "&#x2014;",
        "&foo;",
        "&",
        "AT&T",
        " & ",
        "<",
        ">",
        "a < b",
        ";",
        "#",
        "Ã©",
        "é",
        "\n",
        "  ",
    ]
)
_TEXT = st.lists(st.one_of(_FRAGMENTS, st.text(alphabet="abc xyz.,", min_size=1, max_size=6)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(title=_TEXT, description=_TEXT, content=_TEXT, use_content=st.booleans())
def test_random_markup_and_entities_read_the_same_both_ways(
    title: list[str], description: list[str], content: list[str], use_content: bool
) -> None:
    encoded = f"<content:encoded>{escape(''.join(content))}</content:encoded>" if use_content else ""
    body = (
        RSS_HEAD + f"<item><title>{escape(''.join(title))}</title><link>http://feeds.example/p</link>"
        f"<description>{escape(''.join(description))}</description>{encoded}</item></channel></rss>"
    ).encode()
    assert_same_if_read(body)


@settings(max_examples=200, deadline=None)
@given(
    title=_TEXT,
    summary=_TEXT,
    content=_TEXT,
    kinds=st.tuples(*[st.sampled_from(["text", "html", "xhtml"])] * 3),
)
def test_random_atom_text_constructs_read_the_same_both_ways(
    title: list[str], summary: list[str], content: list[str], kinds: tuple[str, str, str]
) -> None:
    """xhtml text is escaped here, so it stays well-formed: an xhtml construct holding plain text."""

    def construct(name: str, kind: str, text: list[str]) -> str:
        if kind == "xhtml":
            inner = f'<div xmlns="http://www.w3.org/1999/xhtml">{escape("".join(text))}</div>'
        else:
            inner = escape("".join(text))
        return f'<{name} type="{kind}">{inner}</{name}>'

    body = (
        ATOM_HEAD + "<entry>" + construct("title", kinds[0], title) + '<link href="http://feeds.example/a"/>'
        f"{construct('summary', kinds[1], summary)}{construct('content', kinds[2], content)}</entry></feed>"
    ).encode()
    assert_same_if_read(body)


_WHEN = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31))
_OFFSET = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m - m % 15))


@settings(max_examples=400, deadline=None)
@given(
    when=_WHEN,
    offset=_OFFSET,
    style=st.sampled_from(
        ["rfc", "rfc-no-day", "rfc-no-seconds", "rfc-named", "iso", "iso-fraction", "iso-z"]
    ),
    zone=st.sampled_from(sorted(plain_feed._ZONES)),
)
def test_dates_the_plain_path_reads_are_feedparsers_dates(
    when: datetime, offset: timedelta, style: str, zone: str
) -> None:
    minutes = int(offset.total_seconds() // 60)
    sign, hours, mins = "+" if minutes >= 0 else "-", abs(minutes) // 60, abs(minutes) % 60
    day = when.strftime("%a, ") if style != "rfc-no-day" else ""
    if style.startswith("rfc"):
        clock = when.strftime("%H:%M") if style == "rfc-no-seconds" else when.strftime("%H:%M:%S")
        tz = zone if style == "rfc-named" else f"{sign}{hours:02d}{mins:02d}"
        text = f"{day}{when.day} {when.strftime('%b %Y')} {clock} {tz}"
    else:
        fraction = f".{when.microsecond:06d}" if style == "iso-fraction" else ""
        tz = "Z" if style == "iso-z" else f"{sign}{hours:02d}:{mins:02d}"
        text = when.strftime("%Y-%m-%dT%H:%M:%S") + fraction + tz
    ours = plain_feed._date(text)
    theirs = feedparser.datetimes._parse_date(text)
    assert ours is not None, text
    assert theirs is not None, text
    assert calendar.timegm(ours) == calendar.timegm(theirs), text


@pytest.mark.parametrize(
    "text",
    [
        "Fri, 30 Feb 2024 10:00:00 GMT",  # no such day
        "Tue, 02 Jan 24 10:00:00 GMT",  # two-digit year
        "Tue, 02 Jan 2024 10:00:00 CEST",  # a zone feedparser reads as UTC
        "Tue,02 Jan 2024 10:00:00 GMT",
        "2024-01-02t10:00:00z",
        "2024-01-02",
        "2024-01-02T24:00:00Z",
        "0001-01-01T00:00:00+01:00",  # feedparser overflows
        "yesterday",
    ],
)
def test_dates_outside_the_plain_forms_decline(text: str) -> None:
    with pytest.raises(plain_feed._Decline):
        plain_feed._date(text)


_URL_PART = st.text(alphabet="abz09-._~%/?#&=;:@!$'()*+, ", max_size=20)


@settings(max_examples=400, deadline=None)
@given(
    start=st.sampled_from(
        ["", "/", "//", "./", "../", "http://", "https://", "HTTP://", "http:///", "mailto:"]
    ),
    host=st.sampled_from(["", "feeds.example", "a.example:8080", "[::1]", "b.example."]),
    rest=_URL_PART,
)
def test_links_join_as_feedparser_joins_them(start: str, host: str, rest: str) -> None:
    uri = start + host + rest
    assert plain_feed._urljoin(URL, uri) == feedparser.urls._urljoin(URL, uri)
