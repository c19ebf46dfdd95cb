"""Page bytes to text through ``watchers.charsets`` (the one decoder feeds and pages share), and extraction
of a non-UTF-8 page."""

from __future__ import annotations

import codecs

import pytest

from watchers.charsets import decode
from watchers.extract import extract_page

TEXT = "Café in Zürich: naïve résumé"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "text/html; charset=iso-8859-1", TEXT),  # BOM beats header
        (TEXT.encode("latin-1"), "text/html; charset=ISO-8859-1", TEXT),
        (
            b'<meta charset="windows-1252">' + TEXT.encode("cp1252"),
            "text/html",
            '<meta charset="windows-1252">' + TEXT,
        ),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
            + "Привет".encode("koi8-r"),
            "",
            '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">Привет',
        ),
        (TEXT.encode("latin-1"), "text/html; charset=utf-8", TEXT),  # mis-declared UTF-8 is really Latin-1
        (TEXT.encode("latin-1"), "text/html", TEXT),  # undeclared and not UTF-8
        (TEXT.encode("utf-8"), "text/html; charset=no-such-charset", TEXT),  # unknown name is skipped
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "", TEXT),
    ],
)
def test_decode_page(body: bytes, content_type: str, expected: str) -> None:
    assert decode(body, content_type).text == expected


def test_a_windows_1251_page_is_extracted_readably() -> None:
    paragraph = "Министры обсудили сроки расширения альянса во вторник в Брюсселе. " * 8
    html = "<html lang='ru'><head><title>Новости</title></head><body><article><h1>Новости</h1>"
    html += f"<p>{paragraph}</p><p>{paragraph}</p></article></body></html>"
    page = extract_page(
        html.encode("cp1251"), url="http://127.0.0.1/ru", content_type="text/html; charset=windows-1251"
    )
    assert "Министры обсудили сроки" in page.text
    assert page.language == "ru"
