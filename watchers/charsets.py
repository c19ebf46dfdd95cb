"""Which character set a body is in, and its text: HTTP header, BOM, XML declaration, meta tag.

That is the order of trust, with one guard: a declaration is used only if the bytes actually decode under
it, because mis-declared UTF-8 (Latin-1 bytes labelled utf-8) is common in the wild. After the
declarations come UTF-8 (right for most undeclared bodies) and windows-1252, which decodes any byte and
is what "ISO-8859-1" and "US-ASCII" labels mean in practice (the WHATWG encoding standard maps them so).
A Latin-1 label on bytes that are valid, non-ASCII UTF-8 is taken as the UTF-8 it almost surely is.

``feed_bytes`` re-encodes a feed as UTF-8 with a matching XML declaration, so the parser after us (which
has its own, different, guessing rules) sees one unambiguous encoding.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.IGNORECASE)
_XML_DECL_WHOLE = re.compile(rb"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_LEGACY_LATIN = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "ansi_x3.4-1968"}
_SNIFF = 4096  # declarations live at the start of a document


@dataclass(frozen=True)
class Decoded:
    """The text and how its encoding was decided (``source`` is "header", "bom", "xml", "meta" or "guess")."""

    text: str
    encoding: str
    source: str


def _codec(label: str) -> str | None:
    """Python's codec name for a label, or None when unknown; Latin-1/ASCII labels mean windows-1252."""
    name = label.strip().lower()
    if name in _LEGACY_LATIN:
        return "cp1252"
    if name in ("utf-16", "utf-32"):
        return name  # the BOM (or big-endian default) decides
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _bom(body: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None


_AUTODETECT = (  # XML 1.0 appendix F: "<?" in a wide encoding without a byte order mark
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def _xml_autodetect(head: bytes) -> str | None:
    for prefix, name in _AUTODETECT:
        if head.startswith(prefix):
            return name
    return None


def declared_encodings(body: bytes, content_type: str = "") -> list[tuple[str, str]]:
    """(codec, source) candidates in order of trust; unknown labels are skipped."""
    head = body[:_SNIFF]
    found: list[tuple[str, str]] = []
    labels: list[tuple[str | None, str]] = [(header_charset(content_type), "header")]
    bom = _bom(head)
    labels.append((bom[0] if bom else _xml_autodetect(head), "bom"))
    # An XML declaration in a UTF-16 body is itself UTF-16; the BOM has already covered that case.
    xml = _XML_DECL.search(head)
    labels.append((xml.group(1).decode("ascii") if xml else None, "xml"))
    meta = _META_CHARSET.search(head)
    labels.append((meta.group(1).decode("ascii") if meta else None, "meta"))
    for label, source in labels:
        codec = _codec(label) if label else None
        if codec and (codec, source) not in found:
            found.append((codec, source))
    return found


def decode(body: bytes, content_type: str = "") -> Decoded:
    """Decode ``body`` with the most trusted declaration it really decodes under (see the module doc)."""
    candidates = [*declared_encodings(body, content_type), ("utf-8", "guess"), ("cp1252", "guess")]
    bom = _bom(body)
    if candidates[0][0] == "cp1252" and not body.isascii():
        # A Latin-1 label on bytes that are valid UTF-8 (with non-ASCII characters) is a server default
        # left unchanged: such bytes are practically never meant as Latin-1.
        try:
            return Decoded(body.removeprefix(codecs.BOM_UTF8).decode("utf-8"), "utf-8", "guess")
        except UnicodeDecodeError:
            pass
    for codec, source in candidates:
        data = body
        if bom and codecs.lookup(bom[0]).name == codecs.lookup(_base(codec)).name:
            data = body[bom[1] :]
        try:
            return Decoded(data.decode(codec), codec, source)
        except (UnicodeDecodeError, LookupError):
            continue
    # windows-1252 leaves five bytes undefined; Latin-1 maps every byte, so this cannot fail.
    return Decoded(body.decode("latin-1"), "latin-1", "guess")


def _base(codec: str) -> str:
    return {"utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(codec, codec)


def feed_bytes(body: bytes, content_type: str = "") -> tuple[bytes, Decoded]:
    """The feed as UTF-8 bytes whose XML declaration (if any) says UTF-8, and how it was decoded."""
    decoded = decode(body, content_type)
    if decoded.encoding == "utf-8" and not body.startswith(codecs.BOM_UTF8):
        data = body  # already what the parser needs; skip a copy of a large feed
    else:
        data = decoded.text.encode("utf-8")
    declaration = _XML_DECL_WHOLE.match(data)
    if declaration:
        fixed = re.sub(
            rb"encoding\s*=\s*[\"'][\w.:-]+[\"']", b'encoding="utf-8"', declaration.group(0), count=1
        )
        data = fixed + data[declaration.end() :]
    elif data.lstrip()[:1] == b"<":
        # Without one, feedparser prepends its own declaration and a newline, and every XML error's line
        # number would be one too high; one on the same line keeps them right.
        data = b'<?xml version="1.0" encoding="utf-8"?>' + data
    return data, decoded
