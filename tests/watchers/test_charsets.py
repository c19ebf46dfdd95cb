"""Character sets: header, BOM, XML declaration, meta, in that order of trust, checked against the bytes."""

from __future__ import annotations

import pytest

from watchers.charsets import decode, feed_bytes
from watchers.feeds import parse_feed

ITEM = "<item><title>{title}</title><link>http://news.example/1</link></item>"


def rss(title: str, declaration: str = "") -> str:
    return (
        f"{declaration}<rss version='2.0'><channel><title>t</title>{ITEM.format(title=title)}</channel></rss>"
    )


def test_header_wins_over_the_xml_declaration() -> None:
    body = rss("Zürich", '<?xml version="1.0" encoding="utf-8"?>').encode("iso-8859-15")
    decoded = decode(body, "application/rss+xml; charset=ISO-8859-15")
    assert (decoded.source, "Zürich" in decoded.text) == ("header", True)


def test_mis_declared_utf8_falls_back_to_what_the_bytes_are() -> None:
    body = rss("Café crème", '<?xml version="1.0" encoding="utf-8"?>').encode("latin-1")
    decoded = decode(body, "text/xml; charset=utf-8")
    assert "Café crème" in decoded.text
    assert decoded.encoding == "cp1252"


def test_undeclared_latin1_is_read_as_windows_1252() -> None:
    body = rss("Ökonomie – “Zitat”").encode("cp1252")
    assert "Ökonomie – “Zitat”" in decode(body).text


def test_latin1_label_on_utf8_bytes_is_taken_as_utf8() -> None:
    body = rss("Ελληνικά").encode("utf-8")
    assert "Ελληνικά" in decode(body, "text/xml; charset=ISO-8859-1").text


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_wide_encodings_with_or_without_bom(codec: str) -> None:
    body = rss("naïve", '<?xml version="1.0" encoding="utf-16"?>').encode(codec)
    data, decoded = feed_bytes(body)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert "naïve".encode() in data
    assert decoded.source == "bom"


def test_xml_declaration_then_meta_tag() -> None:
    koi8 = rss("Новости", '<?xml version="1.0" encoding="koi8-r"?>').encode("koi8-r")
    assert decode(koi8).source == "xml"
    assert "Новости" in decode(koi8).text
    page = '<html><head><meta charset="windows-1251"></head><body>Новости</body></html>'.encode("cp1251")
    assert (decode(page).source, "Новости" in decode(page).text) == ("meta", True)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (rss("Ärger", '<?xml version="1.0" encoding="iso-8859-1"?>').encode("latin-1"), ""),
        (rss("Ärger").encode("latin-1"), "application/rss+xml"),
        (rss("Ärger", '<?xml version="1.0" encoding="utf-8"?>').encode("latin-1"), "text/xml; charset=utf-8"),
        (rss("Ärger", '<?xml version="1.0" encoding="utf-16"?>').encode("utf-16"), ""),
        (b"\xef\xbb\xbf" + rss("Ärger").encode("utf-8"), "text/xml; charset=windows-1252"),
    ],
)
def test_the_feed_parser_gets_the_right_text(body: bytes, content_type: str) -> None:
    (entry,) = parse_feed(body, url="http://news.example/feed", content_type=content_type)
    assert entry.title == "Ärger"
