"""Tokenising and normalising text the same way for queries and articles.

A *token* is a run of letters and digits (combining accents included), optionally followed by an English
possessive (``NATO’s``); hyphens, apostrophes and punctuation separate tokens, so ``Russia-Ukraine`` is the
two tokens ``Russia`` ``Ukraine``. A newline is kept as a token of its own because it ends a paragraph, and
proximity never reaches across paragraphs. Folding a token (``fold``) lower-cases it (``casefold``), strips
accents and drops the possessive, so ``NATO’s``, ``Nato's`` and ``nato`` are one word. Tokenising only splits
the original text, so a token's index maps back to its character span for highlighting.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

APOSTROPHES = "'’‘ʼ`´′"
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
TOKEN_PATTERN = rf"[^\W_ʼ]+(?:[{_MARKS}]+[^\W_ʼ]*)*(?:[{APOSTROPHES}][sS](?![^\W_ʼ]))?|\n"
"""Fixed pattern (never built from user input): a word with an optional possessive, or a newline.
``ʼ`` (U+02BC) is a letter to Unicode but an apostrophe to writers, so it never belongs to a word."""
TOKEN = re.compile(TOKEN_PATTERN)
_POSSESSIVE = re.compile(rf"[{APOSTROPHES}]s$")


@dataclass(frozen=True)
class Token:
    """A token of the original text: ``word`` is its folded form, ``start``/``end`` its character span."""

    word: str
    start: int
    end: int


def strip_accents(text: str) -> str:
    """Decompose and drop combining marks: ``Café`` -> ``Cafe``, ``Ё`` -> ``Е``."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def casefold_word(token: str) -> str:
    """Case-folded token without its possessive, accents kept (stemmers want them)."""
    word = unicodedata.normalize("NFC", token).casefold()
    return _POSSESSIVE.sub("", word) if word[-1:] in "sS" else word


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """The exact normalised form of one token: case-folded, accent-free, possessive dropped."""
    return strip_accents(casefold_word(token))


_SEPARATORS = "".join(chr(c) for c in range(128) if not chr(c).isalnum() and chr(c) not in "'`\n")
_TO_SPACE = bytes.maketrans(_SEPARATORS.encode(), b" " * len(_SEPARATORS))
"""ASCII separators become spaces: one C pass over the bytes of the text (a table look-up per byte,
several times cheaper than ``str.translate`` even on its ASCII fast path)."""
_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_TO_SPACE_LOWER = bytes.maketrans(_SEPARATORS.encode() + _UPPER, b" " * len(_SEPARATORS) + _UPPER.lower())
"""The same, lower-casing ASCII letters in the same pass (length-preserving, so offsets are unchanged)."""
_COMMON_NON_ASCII = (("’", "'"), ("‘", "'"), *((c, " ") for c in "“”—–…«» "))
"""Curly apostrophes and the punctuation news text is full of, each replaced by one ASCII character that
tokenises the same way (an apostrophe stays an apostrophe, punctuation stays a separator), so an English
article usually becomes pure ASCII and takes the fast path."""


def split_tokens(text: str, lower: bool = False) -> list[str]:
    """``TOKEN.findall(text)``, at several times its speed on the text of a typical article.

    The tokens are the same in number and order, each with the same characters except that a curly
    apostrophe may come back straight (``NATO’s`` -> ``NATO's``), which folds and stems identically.
    ASCII text (after swapping common punctuation) is split with ``bytes.translate`` and ``str.split``:
    separators are never part of a token, so only the words that still hold an apostrophe need the
    regular expression, and its look-ahead sees a separator at the end of the word exactly as in the
    whole text. Any other text (accents, Cyrillic ...) goes through the regular expression.

    With ``lower``, ASCII text comes back lower-cased (at no extra cost: the same table look-up per byte),
    so ``NATO`` and ``Nato`` are one token to remember; a lower-cased ASCII token folds, stems and spans
    exactly like the original. Text that is not ASCII keeps its case.
    """
    return split_text(text, lower)[1]


def split_text(text: str, lower: bool = False) -> tuple[str, list[str], list[int] | None]:
    """``split_tokens``, with the text the tokens were cut from and the indexes of the newline tokens.

    The text is ``text`` with common punctuation swapped and, when ASCII, every separator but apostrophes
    and newlines turned into a space (and letters lower-cased with ``lower``). Every change is one
    character for one, so each token is a substring of that text at the token's own character offsets in
    ``text``. The newlines' indexes come free with ASCII text, split line by line; they are None for other
    text (the regular expression's tokens are not counted as they go)."""
    if not text.isascii():
        for char, replacement in _COMMON_NON_ASCII:
            if char in text:
                text = text.replace(char, replacement)
        if not text.isascii():
            return text, TOKEN.findall(text), None
    table = _TO_SPACE_LOWER if lower else _TO_SPACE
    cut = text.encode("ascii").translate(table).decode("ascii")
    lines = cut.split("\n")
    out: list[str] = []
    breaks: list[int] = []
    last = len(lines) - 1
    for number, line in enumerate(lines):
        if "'" in line or "`" in line:
            for piece in line.split():
                if "'" in piece or "`" in piece:
                    out += TOKEN.findall(piece)
                else:
                    out.append(piece)
        else:
            out += line.split()
        if number != last:
            breaks.append(len(out))
            out.append("\n")
    return cut, out, breaks


def tokens(text: str) -> list[Token]:
    """Every word token of ``text`` with its span (newlines left out)."""
    return [Token(fold(m.group()), m.start(), m.end()) for m in TOKEN.finditer(text) if m.group() != "\n"]


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (``split_tokens`` may straighten an apostrophe, which
    ``fold`` drops with the possessive anyway)."""
    return [fold(raw) for raw in split_tokens(text, lower=True) if raw != "\n"]


def normalise(text: str) -> str:
    """Folded words joined by single spaces: ``Russia-Ukraine Café`` -> ``russia ukraine cafe``."""
    return " ".join(words(text))
