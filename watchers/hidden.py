"""Text readers never see, removed before extraction: it must not match topics or reach a summary.

Pages can carry text hidden from readers (``hidden`` attributes, ``display:none``, zero-size fonts,
``aria-hidden``) and zero-width characters; an LLM summariser reading it would take instructions a reader
never saw. ``strip_hidden_html`` drops such elements from a parsed page; ``strip_invisible`` removes
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


def strip_hidden_html(html: str) -> str:
    """``html`` without elements hidden from readers; unparseable markup is returned as it was."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return html
    hidden = [el for el in root.iter() if isinstance(el, lxml.html.HtmlElement) and is_hidden(el)]
    if not hidden:
        return html
    for element in hidden:
        if element.getparent() is not None:
            element.drop_tree()
    return str(lxml.html.tostring(root, encoding="unicode"))


def strip_invisible(text: str) -> str:
    """``text`` without zero-width and other invisible format characters (category Cf)."""
    return "".join(ch for ch in text if ch in _KEEP_FORMAT or unicodedata.category(ch) != "Cf")
