"""Bytes of an HTML page to text, with the character set found in the order of trust.

1. a byte-order mark (it cannot be there by accident);
2. the HTTP ``Content-Type`` charset;
3. a ``<meta charset>`` / ``<meta http-equiv="Content-Type" content="…; charset=…">`` in the first 4 KB;
4. UTF-8 if the bytes are valid UTF-8, else windows-1252 (the superset of Latin-1 browsers use).

A declared UTF-8 that does not decode is the common "mis-declared" case: the page is really Latin-1, so
windows-1252 is used instead of scattering replacement characters. An unknown charset name is skipped.
"""

from __future__ import annotations

import codecs
import re

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
FALLBACK = "windows-1252"


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str = "") -> str | None:
    """The charset the response declares (BOM, header, then meta), normalised; None when none is usable."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    header = _HEADER.search(content_type or "")
    found = _codec(header.group(1)) if header else None
    if found:
        return found
    meta = _META.search(body[:4096])
    return _codec(meta.group(1).decode("ascii", errors="ignore")) if meta else None


def decode_page(body: bytes, content_type: str = "") -> str:
    """The page as text (see the module docstring for the order); never raises."""
    charset = declared_charset(body, content_type)
    if charset and charset != "utf-8":
        text = body.decode(charset, errors="replace")
        return text[1:] if text.startswith("\ufeff") else text
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode(FALLBACK, errors="replace")
