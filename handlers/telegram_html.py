"""Telegram's HTML parse mode: escaping untrusted text, and checking markup as strictly as the Bot API.

Only the documented tags are accepted (b, strong, i, em, u, ins, s, strike, del, span class="tg-spoiler",
tg-spoiler, a href, code, pre, blockquote, tg-emoji); only &lt; &gt; &amp; &quot; and numeric entities;
a bare ``<``, ``>`` or ``&`` is an error. ``parse_html`` returns the text a user sees and the links, so a
test can prove that hostile text was shown as text and never became markup.
"""

from __future__ import annotations

import html
import re

ALLOWED = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
    "blockquote", "tg-emoji",
}  # fmt: skip
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlError(ValueError):
    """Why Telegram would refuse the text (the API answers 400 "can't parse entities: ...")."""


def _entity(name: str) -> str:
    if name in _NAMED:
        return _NAMED[name]
    number = int(name[2:], 16) if name.startswith("#x") else int(name[1:])
    return chr(number)


def parse_html(markup: str) -> tuple[str, list[tuple[str, str]]]:
    """(visible text, [(link text, href)]); HtmlError for anything Telegram would reject."""
    text: list[str] = []
    links: list[tuple[str, str]] = []
    stack: list[tuple[str, str | None, int]] = []
    i = 0
    while i < len(markup):
        char = markup[i]
        if char == "<":
            match = _TAG.match(markup, i)
            if not match:
                raise HtmlError(f"unsupported start tag or bare '<' at byte offset {i}")
            closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
            if name not in ALLOWED:
                raise HtmlError(f'unsupported start tag "{name}" at byte offset {i}')
            if closing:
                if not stack or stack[-1][0] != name:
                    raise HtmlError(
                        f'unmatched end tag at byte offset {i}, expected "</{stack[-1][0]}>"'
                        if stack
                        else f"unexpected end tag at byte offset {i}"
                    )
                _, href, start = stack.pop()
                if name == "a" and href is not None:
                    links.append(("".join(text)[start:], href))
            else:
                href = None
                for attr in _ATTR.finditer(attrs):
                    value = attr.group(2) or attr.group(3) or attr.group(4) or ""
                    if name == "a" and attr.group(1).lower() == "href":
                        href = re.sub(r"&(lt|gt|amp|quot);", lambda m: _NAMED[m.group(1)], value)
                if name == "a" and not href:
                    raise HtmlError(f"a link without href at byte offset {i}")
                stack.append((name, href, len("".join(text))))
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(markup, i)
            if not match:
                raise HtmlError(f"character '&' is reserved and must be escaped at byte offset {i}")
            text.append(_entity(match.group(1)))
            i = match.end()
        elif char == ">":
            raise HtmlError(f"character '>' is reserved and must be escaped at byte offset {i}")
        else:
            text.append(char)
            i += 1
    if stack:
        raise HtmlError(f'can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(text), links


def escape(text: str) -> str:
    """Untrusted text as Telegram HTML text: ``<``, ``>``, ``&`` (and quotes) become entities."""
    return html.escape(text, quote=True)


def visible_length(markup: str) -> int:
    """How long Telegram counts ``markup`` (UTF-16 code units of the text after parsing)."""
    text, _ = parse_html(markup)
    return len(text.encode("utf-16-le")) // 2
