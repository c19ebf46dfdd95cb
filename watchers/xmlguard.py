"""Defuse XML that could expand into a bomb or reach outside, before any XML parser sees it.

feedparser turns off external entities and drops most entity declarations, and expat stops a billion-laughs
document at its amplification limit, but the lenient parser feedparser falls back to then still returns
entries with the raw ``&lol9;`` text: a success that is really an attack. So ``guard_xml``
- refuses with a readable ParseError a DTD internal subset that declares an entity whose value refers to
  another entity (the nesting behind "billion laughs"), more than ``MAX_ENTITIES`` entities, or is larger
  than ``MAX_SUBSET`` bytes (the "quadratic blowup" form uses one huge entity many times);
- removes an internal subset that declares external (SYSTEM/PUBLIC) or parameter entities: old feeds do
  that to pull in the HTML entity sets, and the feed still reads without them, but nothing is fetched;
- passes plain DOCTYPEs (the Netscape RSS 0.91 one) and small character entities
  (``<!ENTITY nbsp "&#160;">``) unchanged.
"""

from __future__ import annotations

import re

from watchers.errors import ParseError

MAX_ENTITIES = 64
MAX_SUBSET = 16_384
_PROLOG = 65_536  # a DOCTYPE must come before the root element, so it is near the start

_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s>]+)\s+([^>]*)>", re.IGNORECASE)
_CHAR_REF = re.compile(rb"&#(?:\d+|x[0-9a-fA-F]+);")
_ENTITY_REF = re.compile(rb"[&%][A-Za-z_:][\w.:-]*;")


def guard_xml(body: bytes) -> bytes:
    """``body`` (UTF-8 or ASCII-compatible) made safe to parse, or ParseError when it is a bomb."""
    head = body[:_PROLOG]
    doctype = _DOCTYPE.search(head)
    if doctype is None:
        return body
    start = _subset_start(head, doctype.end())
    if start < 0:
        return body  # no internal subset: nothing is declared
    end = head.find(b"]>", start)
    subset = head[start : end if end >= 0 else len(head)]
    if end < 0 or end - start > MAX_SUBSET:
        raise ParseError(
            f"XML refused: its DTD is larger than {MAX_SUBSET:,} bytes (possible entity-expansion bomb)"
        )
    entities = _ENTITY.findall(subset)
    if len(entities) > MAX_ENTITIES:
        raise ParseError(f"XML refused: {len(entities)} entity declarations (possible entity-expansion bomb)")
    outside = False
    for parameter, name, rest in entities:
        label = name.decode("utf-8", "replace")
        if parameter or re.match(rb"(SYSTEM|PUBLIC)\b", rest.strip(), re.IGNORECASE):
            outside = True
            continue
        if _ENTITY_REF.search(_CHAR_REF.sub(b"", rest)):
            raise ParseError(
                f"XML refused: entity {label} refers to other entities (an entity-expansion bomb)"
            )
    if outside:
        return body[:start] + body[end + 1 :]  # "<!DOCTYPE rss [ ... ]>" becomes "<!DOCTYPE rss >"
    return body


def _subset_start(head: bytes, position: int) -> int:
    """Where the DOCTYPE's internal subset ``[`` is, or -1 when the DOCTYPE closes without one."""
    quote = 0
    for index in range(position, len(head)):
        byte = head[index]
        if quote:
            quote = 0 if byte == quote else quote
        elif byte in b"\"'":
            quote = byte
        elif byte == ord("["):
            return index
        elif byte == ord(">"):
            return -1
    return -1
