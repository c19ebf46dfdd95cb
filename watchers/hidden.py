"""Text readers never see, removed before extraction: it must not match topics or reach a summary.

Pages can carry text hidden from readers (``hidden`` attributes, ``display:none``, zero-size fonts,
``aria-hidden``) and zero-width characters; an LLM summariser reading it would take instructions a reader
never saw. ``drop_hidden`` removes such elements from a parsed page; ``strip_invisible`` removes
zero-width and other format characters from plain text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import lxml.html

_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|$)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)|(?:^|;)\s*(?:width|height)\s*:\s*0(?:px)?\s*;.*(?:width|height)\s*:\s*0",
    re.IGNORECASE,
)
_KEEP_FORMAT = {"\n", "\t"}


@cache
def _format_characters() -> re.Pattern[str]:
    """One character class of every format character (category Cf) of the Basic Multilingual Plane, as
    ranges, from this Python's own Unicode tables (a few dozen code points; about 10 ms, on first use
    rather than at every start of the command line)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        if unicodedata.category(chr(code)) == "Cf":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]")


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def is_hidden(element: lxml.html.HtmlElement) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden", "").lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(element.get("style") or ""))


def drop_hidden(root: lxml.html.HtmlElement) -> None:
    """Remove the elements of a parsed page that are hidden from readers (their tails stay: text after a
    hidden element is visible)."""
    marked = root.xpath("//*[@hidden or @aria-hidden or @style]")  # in C: only these can be hidden
    hidden = [el for el in marked if isinstance(el, lxml.html.HtmlElement) and is_hidden(el)]
    for element in hidden:
        if element.getparent() is not None:
            element.drop_tree()


def strip_invisible(text: str) -> str:
    """``text`` without zero-width and other invisible format characters (category Cf).

    ASCII has none; other text below U+10000 goes through one regular-expression substitution (in C,
    where asking each character's category took about 160 ns a character, a millisecond or more for an
    article); text with characters beyond (emoji, historic scripts, tag characters) is read character by
    character."""
    if text.isascii():
        return text
    if not _ASTRAL.search(text):
        return _format_characters().sub("", text)
    return "".join(ch for ch in text if ch in _KEEP_FORMAT or unicodedata.category(ch) != "Cf")
