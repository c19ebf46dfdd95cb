"""Text readers never see, removed before extraction: it must not match topics or reach a summary.

Pages can carry text hidden from readers (``hidden`` attributes, ``display:none``, zero-size fonts,
``aria-hidden``) and zero-width characters; an LLM summariser reading it would take instructions a reader
never saw. ``drop_hidden`` removes such elements from a parsed page; ``strip_invisible`` removes
zero-width and other format characters from plain text.
"""

from __future__ import annotations

import re
import unicodedata

import lxml.html

_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|$)"
    r"|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)|(?:^|;)\s*(?:width|height)\s*:\s*0(?:px)?\s*;.*(?:width|height)\s*:\s*0",
    re.IGNORECASE,
)
_KEEP_FORMAT = {"\n", "\t"}


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
    """``text`` without zero-width and other invisible format characters (category Cf)."""
    return "".join(ch for ch in text if ch in _KEEP_FORMAT or unicodedata.category(ch) != "Cf")
